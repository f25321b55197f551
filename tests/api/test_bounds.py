"""Bounded inputs (issue 11, item 5): ids, days and bodies out of range are refused in the
project's error format (JSON for the API, an error page for the pages), never a 500."""

import json
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError
from sqlmodel import Session, select

from middleware.bounds import MAX_FORM_FIELDS, MAX_ID, MAX_JSON_DEPTH, is_nul_refused, nul_refused
from routers.deps import TOKEN_COOKIE
from store.models import Role, User
from tests.helpers import Account, Api
from web.csrf import CSRF_COOKIE, CSRF_FIELD

pytestmark = pytest.mark.timeout(60)
CSRF = "bounds-test-token"


def problems(response: httpx.Response) -> dict[str, str]:
    """loc -> code of a refusal in the project's format (and never FastAPI's `detail`)."""
    body = response.json()
    assert "detail" not in body, body
    assert body["message"]["zh"] and body["message"]["en"], body
    return {p["loc"]: p["code"] for p in body["problems"]}


def browser(api: Api, who: Account) -> httpx.AsyncClient:
    """A browser of `who`: the bearer token as the web session cookie, and a CSRF cookie."""
    token = who.headers["Authorization"].removeprefix("Bearer ")
    client = httpx.AsyncClient(transport=api.http._transport, base_url=str(api.http.base_url))
    client.cookies.set(TOKEN_COOKIE, token)
    client.cookies.set(CSRF_COOKIE, CSRF)
    return client


async def test_ids_beyond_the_id_columns_are_refused_on_the_api_and_the_pages(api: Api) -> None:
    clerk = await api.account(Role.clerk, "public-security")
    for task_id in (MAX_ID + 1, 2**63, 10**30, 0):
        for method, path, body in (
            ("GET", f"/api/v1/tasks/{task_id}", None),
            ("POST", f"/api/v1/tasks/{task_id}/claim", {}),
            ("POST", f"/api/v1/tasks/{task_id}/decision", {"decision": "approve"}),
        ):
            answer = await api.http.request(method, path, json=body, headers=clerk.headers)
            assert answer.status_code == 422, (path, answer.text)
            assert problems(answer) == {"path.task_id": answer.json()["problems"][0]["code"]}
    largest = await api.http.get(f"/api/v1/tasks/{MAX_ID}", headers=clerk.headers)
    assert largest.status_code == 404, largest.text
    audit = await api.account(Role.auditor)
    after = await api.http.get(f"/api/v1/audit?after={MAX_ID + 1}", headers=audit.headers)
    assert after.status_code == 422 and "query.after" in problems(after)

    async with browser(api, clerk) as page:
        for path in (f"/inbox/tasks/{MAX_ID + 1}", f"/inbox/tasks/{MAX_ID}"):
            shown = await page.get(path)
            assert shown.status_code == 404 and "text/html" in shown.headers["content-type"]
        for action in ("claim", "decide"):
            posted = await page.post(
                f"/inbox/tasks/{MAX_ID + 1}/{action}", data={CSRF_FIELD: CSRF, "assignee": "x"}
            )
            assert posted.status_code == 404, posted.text


async def test_days_out_of_range_and_reversed_periods_name_the_field(api: Api) -> None:
    manager = await api.account(Role.manager)
    for path in ("/api/v1/metrics/dashboard", "/api/v1/metrics/departments"):
        for query, field in (
            ("to=0001-01-01", "to"),
            ("to=9999-12-31", "to"),
            ("from=1999-12-31", "from"),
        ):
            answer = await api.http.get(f"{path}?{query}", headers=manager.headers)
            assert answer.status_code == 422, answer.text
            assert problems(answer) == {f"query.{field}": "date_out_of_range"}
            assert "2000-01-01 and 2100-12-31" in answer.json()["problems"][0]["fix"]["en"]
        reversed_ = await api.http.get(
            f"{path}?from=2026-02-01&to=2026-01-01", headers=manager.headers
        )
        assert reversed_.status_code == 422
        assert problems(reversed_) == {
            "query.from": "period_reversed",
            "query.to": "period_reversed",
        }
        edge = await api.http.get(f"{path}?from=2100-01-01&to=2100-12-31", headers=manager.headers)
        assert edge.status_code == 200, edge.text

    async with browser(api, manager) as page:
        for query in ("to=0001-01-01", "to=9999-12-31", "from=2026-02-01&to=2026-01-01"):
            shown = await page.get(f"/dashboard?{query}")
            assert shown.status_code == 422, shown.text
            assert "text/html" in shown.headers["content-type"]
        assert (await page.get("/dashboard?from=2000-01-01&to=2009-01-01")).status_code == 200


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


async def test_unreadable_bodies_are_refused_in_the_project_format(api: Api) -> None:
    applicant = await api.account(Role.applicant)
    headers = {**applicant.headers, "Content-Type": "application/json"}

    def case(form: str) -> bytes:
        return ('{"scenario": "newborn", "form": ' + form + "}").encode()

    async def post(body: bytes, **extra: Any) -> httpx.Response:
        return await api.http.post("/api/v1/cases", content=body, headers={**headers, **extra})

    not_utf8 = await post(b'{"scenario": "\xff\xfe", "form": {}}')
    assert not_utf8.status_code == 400 and problems(not_utf8) == {"body": "body_not_utf8"}
    deep = await post(case(nested(1000)))
    assert deep.status_code == 422 and problems(deep) == {"body": "body_too_deep"}
    # 32 levels in all are accepted as JSON (then refused by the form's own validation)
    deepest = await post(case('{"a": ' + nested(MAX_JSON_DEPTH - 2) + "}"))
    assert deepest.status_code == 422 and "body" not in problems(deepest), deepest.text
    # brackets inside strings do not count
    quoted = await post(case(json.dumps({"note": "[" * 5000})))
    assert quoted.status_code == 422 and "body" not in problems(quoted), quoted.text
    broken = await post(b'{"scenario": "newborn", "form": {')
    assert broken.status_code == 422
    assert list(problems(broken).values()) == ["json_invalid"]

    fields = "&".join(f"f{i}=x" for i in range(20_000)).encode()
    for path in ("/api/v1/auth/token", "/login", "/inbox/tasks/1/claim"):
        many = await api.http.post(
            path, content=fields, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert many.status_code == 422, (path, many.text)
        assert problems(many) == {"body": "too_many_fields"}
    parts = {f"f{i}": "x" for i in range(MAX_FORM_FIELDS + 1)}
    multipart = await api.http.post("/login", files={"file": ("a", b"b")}, data=parts)
    assert multipart.status_code == 422 and problems(multipart) == {"body": "too_many_fields"}
    ok = await api.http.post(
        "/api/v1/auth/token",
        data={"username": applicant.user.username, "password": applicant.password},
    )
    assert ok.status_code == 200, ok.text

    nul = await api.http.get("/api/v1/tasks?holder=a%00b", headers=applicant.headers)
    assert nul.status_code == 422 and problems(nul) == {"query": "invalid_characters"}
    # In JSON the field that holds a NUL answers for it (no scenario has such a code; a
    # name is refused at its field); in forms the body is refused before any query.
    nul_json = await post(b'{"scenario": "newborn\\u0000", "form": {}}')
    assert nul_json.status_code == 404, nul_json.text
    nul_name = await api.http.post(
        "/api/v1/tasks/1/claim", json={"assignee": "clerk\x00"}, headers=applicant.headers
    )
    assert nul_name.status_code in (403, 422), nul_name.text  # an applicant may not claim
    nul_form = await api.http.post(
        "/api/v1/auth/token", data={"username": "a\x00", "password": "b"}
    )
    assert nul_form.status_code == 422 and problems(nul_form) == {"body": "invalid_characters"}
    wrong_method = await api.http.put("/api/v1/cases", headers=applicant.headers)
    assert wrong_method.status_code == 405 and problems(wrong_method) == {}


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_nul_that_reaches_postgresql_is_a_422(engine: Engine) -> None:
    """The safety net behind the field types: PostgreSQL's refusal of NUL in text is
    recognised and answered 422 in the project's format, not 500."""
    with Session(engine) as session, pytest.raises(DataError) as refused:
        session.exec(select(User).where(User.username == "a\x00b")).first()
    assert is_nul_refused(refused.value)
    answer = nul_refused()
    assert answer.status == 422 and answer.problem.code == "invalid_characters"
