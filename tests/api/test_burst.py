"""Bursts of submissions queue for the database instead of failing: no 5xx but a 503 with
Retry-After, one case per Idempotency-Key, every accepted case started; a saturated gate or
pool answers 503 at once in the project's error format (core/backpressure.py)."""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from functools import partial

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from temporalio.testing import WorkflowEnvironment

from api import create_app
from runtime.settings import Settings
from store.models import Case, Role
from tests.conftest import Workers
from tests.helpers import Api, wait_until, workflow_exists

pytestmark = pytest.mark.timeout(120)
BURST = 40


def assert_busy(response: httpx.Response) -> None:
    """A 503 of the gate or the pool: Retry-After, the project's bilingual error body."""
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) >= 1
    body = response.json()
    assert body["error"] == "busy" and body["message"]["zh"] and body["message"]["en"]


@pytest.mark.e2e  # a load run: hundreds of requests
async def test_bursts_queue_and_make_one_case_per_key(api: Api, workers: Workers) -> None:
    applicant = await api.account(Role.applicant)
    shared = uuid.uuid4().hex
    keys = [uuid.uuid4().hex for _ in range(BURST)] + [shared] * BURST
    answers = await asyncio.gather(*(api.submit(applicant, key=key) for key in keys))

    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {200, 201, 202, 503}, statuses
    for answer in answers:
        if answer.status_code == 503:
            assert_busy(answer)
    distinct, same = answers[:BURST], answers[BURST:]
    assert all(a.status_code != 200 for a in distinct), statuses  # each its own new case
    accepted_same = [a for a in same if a.is_success]
    assert accepted_same, "every submission with the shared key was refused"
    assert len({a.json()["id"] for a in accepted_same}) == 1
    assert sum(a.status_code != 200 for a in accepted_same) <= 1  # one created it
    with Session(api.engine) as session:
        rows = session.exec(
            select(func.count())
            .select_from(Case)
            .where(Case.applicant_id == applicant.id, Case.idempotency_key == shared)
        ).one()
    assert rows == 1

    accepted = {a.json()["id"] for a in answers if a.is_success}
    for case_id in accepted:  # 202s too: the reconciler starts them within seconds
        await wait_until(partial(workflow_exists, api.temporal, case_id), timeout=30)


@pytest.fixture
async def tiny(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], FastAPI]]:
    """The app with one database slot, one connection and short waits; an applicant's
    headers. The test takes the slot or the connection itself to saturate them."""
    tight = settings.model_copy(
        update={
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "db_pool_timeout_s": 0.3,
            "db_wait_s": 0.3,
        }
    )
    app = create_app(tight, temporal=dev_env.client)
    async with app.router.lifespan_context(app):
        api = Api(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://onego.test"),
            engine,
            tight,
            dev_env.client,
        )
        async with api.http:
            applicant = await api.account(Role.applicant)
            yield api.http, applicant.headers, app


async def test_a_saturated_gate_or_pool_answers_503(
    tiny: tuple[httpx.AsyncClient, dict[str, str], FastAPI],
) -> None:
    http, headers, app = tiny
    assert (await http.get("/api/v1/auth/me", headers=headers)).status_code == 200

    async with app.state.database_gate.slot():
        assert_busy(await http.get("/api/v1/auth/me", headers=headers))
        page = await http.get("/cases?lang=en")  # a page: the error page, same status
        assert page.status_code == 503 and int(page.headers["Retry-After"]) >= 1
        assert "text/html" in page.headers["content-type"] and "busy" in page.text

    with app.state.engine.connect():  # the pool's one connection, taken
        # the request waits for it in a worker thread: this loop stays free
        assert_busy(await http.get("/api/v1/auth/me", headers=headers))
    assert (await http.get("/api/v1/auth/me", headers=headers)).status_code == 200
