"""Review tasks through the API: a rejection, decisions the workflow refuses, and the lists'
pages, orders and search by case number with their bounds."""

import random
import string
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from domain.statuses import ItemStatus
from store.models import CaseItem, Role
from tests.cases.conftest import open_police_task, user
from tests.conftest import Workers
from tests.helpers import INDEPENDENT_OF_REGISTRATION, Api, item_status

pytestmark = pytest.mark.timeout(90)

# Items that wait for household registration: never started when it is rejected.
AFTER_REGISTRATION = {
    "medical_insurance_enrolment",
    "medical_insurance_payment",
    "social_security_card",
    "childcare_subsidy",
}


async def test_rejection_with_reason_ends_the_case(api: Api, workers: Workers) -> None:
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    case_id = (await api.submit(applicant)).json()["id"]
    await api.wait_for_review(applicant, case_id)
    task = await api.open_task(clerk, case_id)
    assert (await api.claim(clerk, task["id"])).status_code == 200

    reason = "出生医学证明与户主信息不一致 / certificate does not match the household head"
    rejected = await api.decide(clerk, task["id"], "reject", reason, "materials_inconsistent")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["decision"] == "reject"

    case = await api.wait_case(applicant, case_id, lambda c: c["status"] == "rejected")
    assert reason in case["reason"]
    assert case["completed_at"] is not None
    household = next(i for i in case["items"] if i["code"] == "household_registration")
    assert household["status"] == "rejected"
    assert household["reason"] == reason
    statuses = {i["code"]: i["status"] for i in case["items"]}
    assert {code for code, s in statuses.items() if s == "cancelled"} == AFTER_REGISTRATION
    assert "citizen_id" not in case["outputs"]
    # What was issued before the rejection stays issued or was revoked, never left pending.
    for code in INDEPENDENT_OF_REGISTRATION:
        assert statuses[code] in ("done", "compensated"), (code, statuses[code])
    assert statuses["birth_medical_certificate"] == "done"

    again = await api.decide(clerk, task["id"], "approve")
    assert again.status_code == 409, again.text
    closed = await api.http.get("/api/v1/tasks?status=closed&limit=500", headers=clerk.headers)
    mine = [t for t in closed.json() if t["case_id"] == case_id]
    assert [(t["status"], t["decided_by"], t["reason"]) for t in mine] == [
        ("rejected", clerk.user.username, reason)
    ]


async def test_refused_decisions_change_nothing(api: Api, workers: Workers) -> None:
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    tax_clerk = await api.account(Role.clerk, "tax")
    case_id = (await api.submit(applicant)).json()["id"]
    await api.wait_for_review(applicant, case_id)
    task = await api.open_task(clerk, case_id)

    async def still_open(holder: str | None) -> None:
        now = await api.open_task(clerk, case_id)
        assert (now["status"], now["holder"], now["decided_by"]) == ("open", holder, None)
        case = await api.case(applicant, case_id)
        assert case["status"] == "running"
        assert item_status(case, "household_registration") == "awaiting_review"
        assert case["progress"]["done"] == len(INDEPENDENT_OF_REGISTRATION)

    # A clerk of another department may neither take nor decide the task.
    for refused in (
        await api.claim(tax_clerk, task["id"]),
        await api.decide(tax_clerk, task["id"], "approve"),
    ):
        assert refused.status_code == 403, refused.text
        assert "public-security" in refused.json()["message"]["en"]
        assert refused.json()["message"]["zh"]
    await still_open(None)
    listed = await api.http.get(
        "/api/v1/tasks?department=public-security", headers=tax_clerk.headers
    )
    assert listed.status_code == 403
    own = await api.http.get("/api/v1/tasks?status=all&limit=500", headers=tax_clerk.headers)
    assert [t for t in own.json() if t["case_id"] == case_id] == []

    assert (await api.claim(clerk, task["id"])).status_code == 200
    await still_open(clerk.user.username)
    for reason, code in ((None, "materials_inconsistent"), ("   ", "other"), ("why", None)):
        refused = await api.decide(clerk, task["id"], "reject", reason, code)
        assert refused.status_code == 422, refused.text
        assert "rejection needs a reason" in refused.json()["message"]["en"]
        assert refused.json()["message"]["zh"]
        await still_open(clerk.user.username)

    assert (await api.decide(clerk, task["id"], "maybe")).status_code == 422
    assert (await api.decide(clerk, 10**9, "approve")).status_code == 404
    await still_open(clerk.user.username)

    approved = await api.decide(clerk, task["id"], "approve")
    assert approved.status_code == 200, approved.text
    twice = await api.decide(clerk, task["id"], "approve")
    assert twice.status_code == 409, twice.text
    case = await api.wait_case(applicant, case_id, lambda c: c["status"] == "completed")
    assert item_status(case, "household_registration") == "done"
    after_close = await api.decide(clerk, task["id"], "reject", "too late", "other")
    assert after_close.status_code == 409, after_close.text


def _numbered_tasks(api: Api, place: str, due_in_days: list[int]) -> list[int]:
    """A task of public-security per due date, each of a case numbered `place`-20261201-<n>
    (n from 1) as its workflow leaves it open: the ids of the tasks, in that order."""
    now = datetime.now(UTC)
    ids = []
    with Session(api.engine) as session:
        applicant = user(session, Role.applicant)
        for n, days in enumerate(due_in_days, 1):
            number, opened = f"{place}-20261201-{n:06d}", now - timedelta(hours=n)
            ids.append(
                open_police_task(session, applicant, number, opened, now + timedelta(days=days))
            )
    return ids


async def test_task_lists_page_sort_and_find_case_numbers(api: Api) -> None:
    clerk = await api.account(Role.clerk, "public-security")
    place = "T" + "".join(random.choices(string.ascii_uppercase, k=5))  # this test's cases only
    first, second, third = _numbered_tasks(api, place, [3, 1, 2])

    async def listed(query: str) -> list[int]:
        answer = await api.http.get(f"/api/v1/tasks?{query}", headers=clerk.headers)
        assert answer.status_code == 200, answer.text
        return [t["id"] for t in answer.json()]

    assert await listed(f"case={place}") == [second, third, first]  # due soonest first
    assert await listed(f"case={place.lower()}-2026&sort=case") == [first, second, third]
    assert await listed(f"case={place}&sort=-case") == [third, second, first]
    assert await listed(f"case={place}&sort=-due") == [first, third, second]
    assert await listed(f"case={place}&sort=-opened") == [first, second, third]
    assert await listed(f"case={place}&sort=case&per_page=2") == [first, second]
    assert await listed(f"case={place}&sort=case&per_page=2&page=2") == [third]
    assert await listed(f"case={place}&sort=case&per_page=2&page=3") == []
    assert await listed(f"case={place}&sort=case&limit=1") == [first]  # the older name
    assert await listed(f"case={place}-20261201-000002") == [second]  # the whole number

    with Session(api.engine) as session:  # the second is approved: closed, decided now
        row = session.get(CaseItem, second)
        assert row is not None
        row.status, row.completed_at, row.decided_by = ItemStatus.done, datetime.now(UTC), "x"
        session.add(row)
        session.commit()
    closed = await api.http.get(f"/api/v1/tasks?status=closed&case={place}", headers=clerk.headers)
    [task] = closed.json()
    assert (task["id"], task["status"], task["overdue"]) == (second, "done", False)
    assert task["decided_at"] is not None and task["remaining_working_days"] is None
    assert await listed(f"case={place}") == [third, first]
    assert await listed(f"status=all&case={place}") == [first, second, third]  # newest first


async def test_task_list_bounds_are_refused_in_the_error_format(api: Api) -> None:
    clerk = await api.account(Role.clerk, "public-security")
    for query, name in (
        ("per_page=0", "per_page"),
        ("per_page=501", "per_page"),
        ("limit=501", "limit"),
        ("page=0", "page"),
        ("page=10001", "page"),
        ("sort=priority", "sort"),
        ("case=CQ%2020261201", "case"),
        ("case=" + "C" * 33, "case"),
        ("case=CQ%25", "case"),
    ):
        refused = await api.http.get(f"/api/v1/tasks?{query}", headers=clerk.headers)
        assert refused.status_code == 422, (query, refused.text)
        body = refused.json()
        assert "detail" not in body and body["message"]["zh"] and body["message"]["en"]
        assert [p["loc"] for p in body["problems"]] == [f"query.{name}"], query
    fine = await api.http.get("/api/v1/tasks?per_page=500&page=10000", headers=clerk.headers)
    assert fine.status_code == 200 and fine.json() == []
