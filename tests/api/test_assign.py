"""Assignment (issue 11, item 6): a supervisor assigns a task only to an active clerk of the
task's department; anyone else is 422 naming `assignee` (API and the inbox's assign form)."""

import httpx
import pytest
from sqlmodel import Session

from routers.deps import TOKEN_COOKIE
from store.models import Role
from store.users import add_user, set_disabled
from tests.conftest import Workers
from tests.helpers import PASSWORD, Account, Api, unique
from web.csrf import CSRF_COOKIE, CSRF_FIELD

pytestmark = pytest.mark.timeout(90)
DEPARTMENT = "public-security"


def staff(api: Api, role: Role, department: str | None, disabled: bool = False) -> str:
    """A user who never signs in (only named as an assignee)."""
    name = unique(f"{role.value}-{department or 'x'}")
    with Session(api.engine) as session:
        user = add_user(session, name, PASSWORD, role, department)
        if disabled:
            set_disabled(user, True)
            session.add(user)
            session.commit()
    return name


async def assign(api: Api, supervisor: Account, task_id: int, assignee: str) -> httpx.Response:
    return await api.http.post(
        f"/api/v1/tasks/{task_id}/claim", json={"assignee": assignee}, headers=supervisor.headers
    )


async def test_assignment_only_to_an_active_clerk_of_the_department(
    api: Api, workers: Workers
) -> None:
    applicant = await api.account(Role.applicant)
    supervisor = await api.account(Role.supervisor, DEPARTMENT)
    clerk = await api.account(Role.clerk, DEPARTMENT)
    case_id = (await api.submit(applicant)).json()["id"]
    await api.wait_for_review(applicant, case_id)
    task = await api.open_task(supervisor, case_id)

    refused_names = [
        unique("nobody"),
        staff(api, Role.clerk, "tax"),
        staff(api, Role.manager, None),
        staff(api, Role.clerk, DEPARTMENT, disabled=True),
        staff(api, Role.applicant, None),
    ]
    for name in refused_names:
        refused = await assign(api, supervisor, task["id"], name)
        assert refused.status_code == 422, (name, refused.text)
        body = refused.json()
        assert [(p["loc"], p["code"]) for p in body["problems"]] == [
            ("assignee", "assignee_invalid")
        ]
        assert body["message"]["zh"] and DEPARTMENT in body["message"]["en"]
        assert (await api.open_task(supervisor, case_id))["holder"] is None

    # a clerk (not a supervisor) naming an assignee is refused by the workflow, as before
    by_clerk = await assign(api, clerk, task["id"], clerk.user.username)
    assert by_clerk.status_code == 403, by_clerk.text
    refusal = by_clerk.json()
    assert [(p["loc"], p["code"]) for p in refusal["problems"]] == [("claim", "not_supervisor")]
    assert refusal["error"] == "not_supervisor" and refusal["message"]["en"]

    # the inbox page's assign form: the same refusal, shown on the task page
    async with httpx.AsyncClient(
        transport=api.http._transport, base_url=str(api.http.base_url)
    ) as page:
        page.cookies.set(TOKEN_COOKIE, supervisor.headers["Authorization"].split(" ", 1)[1])
        page.cookies.set(CSRF_COOKIE, "assign-test")
        form = {CSRF_FIELD: "assign-test", "assignee": refused_names[1]}
        shown = await page.post(f"/inbox/tasks/{task['id']}/claim", data=form)
        assert shown.status_code == 422, shown.text
        assert "在岗的经办人员" in shown.text and "text/html" in shown.headers["content-type"]
        listed = await page.get(f"/inbox/tasks/{task['id']}")
        assert refused_names[3] not in listed.text  # disabled staff are not offered

    assigned = await assign(api, supervisor, task["id"], clerk.user.username)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["holder"] == clerk.user.username
    decided = await api.decide(clerk, task["id"], "approve")
    assert decided.status_code == 200, decided.text
