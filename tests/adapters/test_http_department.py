"""The HTTP department adapter (adapters/http.py) against the reference department service
running as a process of its own (examples/department_service)."""

import asyncio
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.exceptions import ApplicationError

from adapters.http import IDEMPOTENCY_HEADER, ITEM_REQUESTS, HttpDepartment, idempotency_key
from adapters.resilience import CircuitBreaker, ResilientDepartment
from adapters.signing import Signer
from adapters.simulated import DepartmentUnavailable
from catalog.models import OutputDef, OutputFormat
from domain.text import Text
from tests.examples.service import DEPARTMENT, SECRET, free_port, reference_service
from workflows.models import CompensationRequest, ItemRequest

READY_AFTER = 1.0
CERTIFICATE = OutputDef(code="household_booklet_page", label=Text(zh="户口簿", en="booklet"))
RESIDENT_ID = OutputDef(
    code="resident_id",
    label=Text(zh="公民身份号码", en="resident ID"),
    format=OutputFormat.resident_id,
    derive_from={"division": "division", "birth_date": "birth_date", "sex": "sex"},
)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """Issues `READY_AFTER` seconds after the first request; refuses `refused_item`."""
    folder = tmp_path_factory.mktemp("department")
    with reference_service(
        folder, ready_after=READY_AFTER, refuse_items='["refused_item"]'
    ) as running:
        yield running


@pytest.fixture(scope="module")
def unavailable(tmp_path_factory):
    """Answers every request 503, after 1.5 s."""
    folder = tmp_path_factory.mktemp("unavailable")
    with reference_service(folder, unavailable_rate=1.0, latency_ms=1500) as running:
        yield running


def item_request(item: str = "household_registration", **changes) -> ItemRequest:
    request = {
        "case_id": f"case-{uuid.uuid4().hex[:12]}",
        "scenario": "newborn",
        "item": item,
        "department": DEPARTMENT,
        "fields": {"division": "110105", "birth_date": "2026-03-01", "sex": "female"},
        "outputs": [CERTIFICATE, RESIDENT_ID],
    }
    return ItemRequest(**(request | changes))


def undo(request: ItemRequest) -> CompensationRequest:
    return CompensationRequest(
        case_id=request.case_id, item=request.item, department=DEPARTMENT, reason="withdrawn"
    )


async def until_issued(adapter: HttpDepartment, request: ItemRequest):
    result = await adapter.perform(request)
    assert result.ready_at is not None, "the service issues later"
    await asyncio.sleep((result.ready_at - datetime.now(UTC)).total_seconds() + 0.05)
    return await adapter.perform(request)


@pytest.fixture
async def adapter(service):
    department = HttpDepartment(DEPARTMENT, service.url, SECRET)
    yield department
    await department.aclose()


async def test_the_same_request_is_one_issue_ready_later(adapter, service):
    request = item_request()
    asked = datetime.now(UTC)
    first, again = await asyncio.gather(adapter.perform(request), adapter.perform(request))
    assert first == again
    assert first.outputs == {}
    assert first.ready_at is not None
    assert asked < first.ready_at <= datetime.now(UTC) + timedelta(seconds=READY_AFTER)
    issued = await until_issued(adapter, request)
    assert issued.ready_at is None
    assert issued.issued_at == first.ready_at
    assert issued.outputs["household_booklet_page"].isdigit()
    assert issued.outputs["resident_id"].startswith("11010520260301")
    assert await adapter.perform(request) == issued
    with sqlite3.connect(service.db_path) as ledger:
        rows = ledger.execute(
            "SELECT count(*) FROM issue WHERE case_id = ? AND item = ?",
            (request.case_id, request.item),
        ).fetchone()
    assert rows == (1,)


async def test_concurrent_requests_make_one_issue(adapter, service):
    request = item_request()
    answers = await asyncio.gather(*(adapter.perform(request) for _ in range(8)))
    assert all(answer == answers[0] for answer in answers)
    with sqlite3.connect(service.db_path) as ledger:
        rows = ledger.execute(
            "SELECT count(*) FROM issue WHERE case_id = ?", (request.case_id,)
        ).fetchone()
    assert rows == (1,)


async def test_revoking_twice_is_one_revocation(adapter):
    request = item_request()
    await until_issued(adapter, request)
    first = await adapter.revoke(undo(request))
    again = await adapter.revoke(undo(request))
    assert first.revoked and first.revoked_at is not None
    assert again == first
    with pytest.raises(ApplicationError) as refused:
        await adapter.perform(request)
    assert refused.value.non_retryable and refused.value.details == ("revoked",)


async def test_revoking_what_was_never_issued_revokes_nothing(adapter):
    answer = await adapter.revoke(undo(item_request()))
    assert not answer.revoked and answer.revoked_at is None


async def test_a_refusal_is_not_retried(adapter):
    with pytest.raises(ApplicationError) as refused:
        await adapter.perform(item_request("refused_item"))
    assert refused.value.type == "DepartmentRefused"
    assert refused.value.non_retryable
    assert refused.value.details == ("ineligible",)


async def test_a_resident_id_without_its_fields_is_refused(adapter):
    with pytest.raises(ApplicationError) as refused:
        await adapter.perform(item_request(fields={}))
    assert refused.value.non_retryable and refused.value.details == ("missing_fields",)


async def test_sm3_signed_requests_are_accepted(service):
    sm3 = HttpDepartment(DEPARTMENT, service.url, SECRET, algorithm="hmac-sm3")
    try:
        assert (await sm3.perform(item_request())).ready_at is not None
    finally:
        await sm3.aclose()


async def test_a_wrong_secret_is_retryable(service):
    """A refused signature is a secret or a clock to fix: the case waits, it does not fail."""
    wrong = HttpDepartment(DEPARTMENT, service.url, "not-the-secret")
    try:
        with pytest.raises(DepartmentUnavailable, match="bad_signature"):
            await wrong.perform(item_request())
    finally:
        await wrong.aclose()


def signed(signer: Signer, request: ItemRequest, **header_changes) -> tuple[bytes, dict]:
    body = request.model_dump_json().encode()
    headers = {
        IDEMPOTENCY_HEADER: idempotency_key(request.case_id, request.item),
        "Content-Type": "application/json",
        **signer.headers("POST", ITEM_REQUESTS, body, **header_changes),
    }
    return body, headers


async def test_a_bad_signature_is_refused_in_the_contract_format(adapter):
    request = item_request()
    body, headers = signed(Signer(DEPARTMENT, b"forged"), request)
    response = await adapter.client.post(ITEM_REQUESTS, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"
    assert set(response.json()["message"]) == {"zh", "en"}
    tampered = body.replace(b"household_registration", b"birth_certificate")
    _, headers = signed(adapter.signer, request)
    response = await adapter.client.post(ITEM_REQUESTS, content=tampered, headers=headers)
    assert (response.status_code, response.json()["error"]) == (401, "bad_signature")


async def test_a_replayed_nonce_is_refused(adapter):
    body, headers = signed(adapter.signer, item_request())
    first = await adapter.client.post(ITEM_REQUESTS, content=body, headers=headers)
    assert first.status_code == 202
    replay = await adapter.client.post(ITEM_REQUESTS, content=body, headers=headers)
    assert (replay.status_code, replay.json()["error"]) == (401, "replayed_nonce")


async def test_a_stale_timestamp_is_refused(adapter):
    body, headers = signed(adapter.signer, item_request(), timestamp=int(time.time()) - 600)
    response = await adapter.client.post(ITEM_REQUESTS, content=body, headers=headers)
    assert (response.status_code, response.json()["error"]) == (401, "stale_timestamp")


async def test_a_key_of_another_case_is_our_bug_not_retried(adapter):
    request = item_request()
    body, headers = signed(adapter.signer, request)
    headers[IDEMPOTENCY_HEADER] = "another-case:household_registration"
    response = await adapter.client.post(ITEM_REQUESTS, content=body, headers=headers)
    assert (response.status_code, response.json()["error"]) == (400, "idempotency_key_mismatch")
    with pytest.raises(ApplicationError) as refused:
        await adapter.perform(request.model_copy(update={"department": "tax"}))
    assert refused.value.type == "InvalidRequest" and refused.value.non_retryable


async def test_503_is_retryable_and_trips_the_breaker(unavailable):
    department = HttpDepartment(DEPARTMENT, unavailable.url, SECRET)
    breaker = CircuitBreaker(failure_threshold=2, reset_after=60)
    resilient = ResilientDepartment(department, DEPARTMENT, timeout=10, breaker=breaker)
    try:
        for _ in range(2):
            with pytest.raises(DepartmentUnavailable, match="503"):
                await resilient.perform(item_request())
        assert breaker.state == "open"
    finally:
        await department.aclose()


async def test_no_answer_in_time_is_retryable(unavailable):
    slow = HttpDepartment(DEPARTMENT, unavailable.url, SECRET, timeout=httpx.Timeout(0.3))
    try:
        with pytest.raises(DepartmentUnavailable, match="no answer in time"):
            await slow.perform(item_request())
    finally:
        await slow.aclose()


async def test_an_unreachable_department_is_retryable():
    gone = HttpDepartment(DEPARTMENT, f"http://127.0.0.1:{free_port()}", SECRET)
    try:
        assert not await gone.healthy()
        with pytest.raises(DepartmentUnavailable, match="unreachable"):
            await gone.revoke(undo(item_request()))
    finally:
        await gone.aclose()
