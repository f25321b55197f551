"""Submitting a case: idempotent resubmission, and bad input that leaves no row, no workflow."""

import json
import uuid
from collections.abc import AsyncIterator, Callable
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


def _json(form: Any, scenario: str = "newborn") -> bytes:
    return json.dumps({"scenario": scenario, "form": form}, ensure_ascii=False).encode()


def _without(field: str) -> dict[str, Any]:
    form = newborn_form()
    del form[field]
    return form


def _oversized(limit: int) -> bytes:
    payload = _json(newborn_form(birth_hospital="医" * limit))
    assert len(payload) > limit
    return payload


async def _chunks(payload: bytes) -> AsyncIterator[bytes]:
    """No Content-Length: the limit is counted as the body streams in."""
    for start in range(0, len(payload), 16 * 1024):
        yield payload[start : start + 16 * 1024]


# name -> (body for a size limit, status, error, problem loc (a prefix if it ends in "."), code)
BAD_INPUT: dict[str, tuple[Callable[[int], Any], int, str, str, str]] = {
    "missing field": (
        lambda _: _json(_without("baby_name")),
        422,
        "invalid_form",
        "form.baby_name",
        "missing",
    ),
    "resident ID check digit": (
        lambda _: _json(newborn_form(mother_id="500103199803071228")),
        422,
        "invalid_form",
        "form.mother_id",
        "resident_id_checksum",
    ),
    "resident ID birth date": (
        lambda _: _json(newborn_form(father_id=resident_id("500103", "19971332", 1))),
        422,
        "invalid_form",
        "form.father_id",
        "resident_id_birth_date",
    ),
    "date in the future": (
        lambda _: _json(newborn_form(baby_birth_date="2999-01-01")),
        422,
        "invalid_form",
        "form.baby_birth_date",
        "date_in_future",
    ),
    "unknown scenario": (
        lambda _: _json(newborn_form(), scenario="no-such-scenario"),
        404,
        "unknown_scenario",
        "scenario",
        "unknown_scenario",
    ),
    "oversized body": (_oversized, 413, "body_too_large", "body", "body_too_large"),
    "oversized body, chunked": (
        lambda limit: _chunks(_oversized(limit)),
        413,
        "body_too_large",
        "body",
        "body_too_large",
    ),
    "not JSON": (
        lambda _: b'{"scenario": "newborn", "form": ',
        422,
        "invalid_request",
        "body.",
        "json_invalid",
    ),
    "form not an object": (
        lambda _: _json(["a", "list"]),
        422,
        "invalid_request",
        "body.form",
        "dict_type",
    ),
    "no scenario": (lambda _: b'{"form": {}}', 422, "invalid_request", "body.scenario", "missing"),
}


def _assert_problem(body: dict[str, Any], loc: str, code: str) -> None:
    """The located problem is there, complete in zh-CN and English."""
    assert body["message"]["zh"] and body["message"]["en"]
    located = [
        p
        for p in body["problems"]
        if p["loc"] == loc or (loc.endswith(".") and p["loc"].startswith(loc))
    ]
    assert located, f"no problem at {loc}: {body['problems']}"
    problem = located[0]
    assert problem["code"] == code, problem
    assert problem["message"]["zh"] and problem["message"]["en"]
    assert problem["message"]["zh"] != problem["message"]["en"]
    assert problem["fix"]["zh"] and problem["fix"]["en"]


async def _post(api: Api, who: Account, key: str, content: Any) -> httpx.Response:
    headers = {**who.headers, "Idempotency-Key": key, "Content-Type": "application/json"}
    return await api.http.post("/api/v1/cases", content=content, headers=headers)


async def _nothing_left(api: Api, who: Account, key: str) -> None:
    """No case row for the applicant, no workflow for the case the key would have made."""
    assert count_cases(api.engine, who.id) == 0
    assert not await workflow_exists(api.temporal, case_id_for(who.id, key))


async def test_bad_input_is_refused_and_leaves_nothing(api: Api, subtests: pytest.Subtests) -> None:
    applicant = await api.account(Role.applicant)
    total = count_cases(api.engine)
    for name, (body, status, error, loc, code) in BAD_INPUT.items():
        with subtests.test(name):
            key = str(uuid.uuid4())
            response = await _post(api, applicant, key, body(api.settings.max_body_bytes))
            assert response.status_code == status, response.text
            assert response.json()["error"] == error
            _assert_problem(response.json(), loc, code)
            await _nothing_left(api, applicant, key)

    with subtests.test("every problem at once"):
        key = str(uuid.uuid4())
        form = newborn_form(mother_id="500103199803071228", baby_birth_date="2999-01-01")
        del form["baby_name"]
        response = await _post(api, applicant, key, _json(form))
        assert response.status_code == 422
        assert {p["loc"] for p in response.json()["problems"]} == {
            "form.baby_name",
            "form.mother_id",
            "form.baby_birth_date",
        }
        await _nothing_left(api, applicant, key)

    with subtests.test("the unknown scenario's fix lists the known ones"):
        response = await _post(api, applicant, str(uuid.uuid4()), _json({}, "nope"))
        assert "newborn" in response.json()["problems"][0]["fix"]["en"]
    assert count_cases(api.engine) == total
