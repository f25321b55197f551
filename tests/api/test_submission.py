"""Submitting a case: idempotent resubmission, and bad input that leaves no row, no workflow."""

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import Session, func, select

from store.models import Case, CaseItem, Role
from tests.conftest import Workers
from tests.helpers import (
    Account,
    Api,
    case_id_for,
    count_cases,
    newborn_form,
    resident_id,
    wait_until,
    workflow_exists,
)
from workflows import case_workflow_id

pytestmark = pytest.mark.timeout(60)


async def executions(api: Api, case_id: str) -> list[Any]:
    query = f'WorkflowId = "{case_workflow_id(case_id)}"'
    return [w async for w in api.temporal.list_workflows(query)]


async def test_same_idempotency_key_returns_the_same_case(api: Api, workers: Workers) -> None:
    applicant = await api.account(Role.applicant)
    key = str(uuid.uuid4())
    first = await api.submit(applicant, key=key)
    assert first.status_code == 201, first.text
    second = await api.submit(applicant, key=key)
    assert second.status_code == 200, second.text
    case_id = first.json()["id"]
    assert second.json()["id"] == case_id == case_id_for(applicant.id, key)

    with Session(api.engine) as session:
        rows = session.exec(select(Case).where(Case.applicant_id == applicant.id)).all()
        assert [c.id for c in rows] == [case_id]
        items = session.exec(
            select(func.count()).select_from(CaseItem).where(CaseItem.case_id == case_id)
        ).one()
        assert items == 10

    # Visibility on the dev server is eventually consistent: wait for the execution to show.
    listed = await wait_until(lambda: executions(api, case_id), timeout=15, what="visibility")
    assert len(listed) == 1
    await api.wait_for_review(applicant, case_id)
    third = await api.submit(applicant, key=key)  # once the workflow runs, too
    assert third.status_code == 200 and third.json()["id"] == case_id
    listed = await executions(api, case_id)
    assert [w.id for w in listed] == [case_workflow_id(case_id)]

    # The same key for a different application is refused, and changes nothing.
    changed = await api.submit(applicant, newborn_form(baby_name="王小红"), key=key)
    assert changed.status_code == 409, changed.text
    problem = changed.json()["problems"][0]
    assert problem["loc"] == "header.Idempotency-Key"
    assert problem["code"] == "idempotency_key_reused"
    assert problem["message"]["zh"] and problem["message"]["en"] and problem["fix"]["en"]
    assert count_cases(api.engine, applicant.id) == 1

    # Another applicant's identical key is another case.
    other = await api.account(Role.applicant)
    theirs = await api.submit(other, key=key)
    assert theirs.status_code == 201
    assert theirs.json()["id"] != case_id
    await api.wait_for_review(other, theirs.json()["id"])


def _assert_problem(body: dict[str, Any], loc: str, code: str) -> None:
    assert body["message"]["zh"] and body["message"]["en"]
    located = [p for p in body["problems"] if p["loc"] == loc]
    assert located, f"no problem at {loc}: {body['problems']}"
    problem = located[0]
    assert problem["code"] == code, problem
    assert problem["message"]["zh"] and problem["message"]["en"]
    assert problem["message"]["zh"] != problem["message"]["en"]
    assert problem["fix"]["zh"] and problem["fix"]["en"]


def _without(field: str) -> dict[str, Any]:
    form = newborn_form()
    del form[field]
    return form


BAD_FORMS = {
    "missing_field": (_without("baby_name"), 422, "form.baby_name", "missing"),
    "id_check_digit": (
        newborn_form(mother_id="500103199803071228"),
        422,
        "form.mother_id",
        "resident_id_checksum",
    ),
    "id_birth_date": (
        newborn_form(father_id=resident_id("500103", "19971332", 1)),
        422,
        "form.father_id",
        "resident_id_birth_date",
    ),
    "future_date": (
        newborn_form(baby_birth_date="2999-01-01"),
        422,
        "form.baby_birth_date",
        "date_in_future",
    ),
}


async def _refused(api: Api, who: Account, response: httpx.Response, key: str) -> dict[str, Any]:
    """The request left nothing behind: no case row, no workflow for the would-be case."""
    assert count_cases(api.engine, who.id) == 0
    assert not await workflow_exists(api.temporal, case_id_for(who.id, key))
    return response.json()


@pytest.mark.parametrize("bad", BAD_FORMS, ids=list(BAD_FORMS))
async def test_bad_form_is_refused_with_located_problems(api: Api, bad: str) -> None:
    form, status, loc, code = BAD_FORMS[bad]
    applicant = await api.account(Role.applicant)
    total = count_cases(api.engine)
    key = str(uuid.uuid4())
    response = await api.submit(applicant, form, key=key)
    assert response.status_code == status, response.text
    body = await _refused(api, applicant, response, key)
    _assert_problem(body, loc, code)
    assert count_cases(api.engine) == total


async def test_every_problem_is_listed_at_once(api: Api) -> None:
    applicant = await api.account(Role.applicant)
    key = str(uuid.uuid4())
    form = newborn_form(mother_id="500103199803071228", baby_birth_date="2999-01-01")
    del form["baby_name"]
    response = await api.submit(applicant, form, key=key)
    assert response.status_code == 422
    body = await _refused(api, applicant, response, key)
    assert body["error"] == "invalid_form"
    assert {p["loc"] for p in body["problems"]} >= {
        "form.baby_name",
        "form.mother_id",
        "form.baby_birth_date",
    }


async def test_unknown_scenario_is_404(api: Api) -> None:
    applicant = await api.account(Role.applicant)
    key = str(uuid.uuid4())
    response = await api.submit(applicant, key=key, scenario="no-such-scenario")
    assert response.status_code == 404, response.text
    body = await _refused(api, applicant, response, key)
    assert body["error"] == "unknown_scenario"
    _assert_problem(body, "scenario", "unknown_scenario")
    assert "newborn" in body["problems"][0]["fix"]["en"]


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_oversized_body_is_413(api: Api, streamed: bool) -> None:
    applicant = await api.account(Role.applicant)
    key = str(uuid.uuid4())
    form = newborn_form(birth_hospital="医" * api.settings.max_body_bytes)
    payload = json.dumps({"scenario": "newborn", "form": form}).encode()
    assert len(payload) > api.settings.max_body_bytes

    async def chunks():  # no Content-Length: the limit is counted as the body streams
        for start in range(0, len(payload), 16 * 1024):
            yield payload[start : start + 16 * 1024]

    headers = {**applicant.headers, "Idempotency-Key": key, "Content-Type": "application/json"}
    response = await api.http.post(
        "/api/v1/cases", content=chunks() if streamed else payload, headers=headers
    )
    assert response.status_code == 413, response.text
    body = await _refused(api, applicant, response, key)
    assert body["error"] == "body_too_large"
    _assert_problem(body, "body", "body_too_large")


MALFORMED = {
    "not-json": (b'{"scenario": "newborn", "form": ', "body.", "json_invalid"),
    "form-not-object": (
        b'{"scenario": "newborn", "form": ["a", "list"]}',
        "body.form",
        "dict_type",
    ),
    "no-scenario": (b'{"form": {}}', "body.scenario", "missing"),
}


@pytest.mark.parametrize("malformed", MALFORMED, ids=list(MALFORMED))
async def test_malformed_request_is_422(api: Api, malformed: str) -> None:
    content, loc, code = MALFORMED[malformed]
    applicant = await api.account(Role.applicant)
    key = str(uuid.uuid4())
    headers = {**applicant.headers, "Idempotency-Key": key, "Content-Type": "application/json"}
    response = await api.http.post("/api/v1/cases", content=content, headers=headers)
    assert response.status_code == 422, response.text
    body = await _refused(api, applicant, response, key)
    assert body["error"] == "invalid_request"
    assert [p["code"] for p in body["problems"]] == [code], body
    problem = body["problems"][0]
    assert problem["loc"].startswith(loc), problem
    assert problem["message"]["zh"] and problem["message"]["en"]
    assert problem["fix"]["zh"] and problem["fix"]["en"]
