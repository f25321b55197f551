"""The latency bench's machinery (bench/latency.py) against a real API on a real Temporal
server: the percentiles it reports come from the answers it got."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from bench.latency import Submitter, open_loop, start_bare
from bench.stack import plain
from catalog.loader import get_catalog
from runtime.settings import Settings
from store.models import Role
from tests.conftest import TEST_DATA_KEYS, database_url
from tests.helpers import Api, count_cases, newborn_form, own_queues, running_api

RATE, SECONDS = 2.0, 2.0  # 4 requests per run: a low rate, so that they hardly queue
DELAY = 2.0  # seconds added to every answer of the slowed run (well above a loaded p50)


@pytest.fixture
async def api(
    dev_env: WorkflowEnvironment, sqlite_engine: Engine, tmp_path: Path
) -> AsyncIterator[Api]:
    settings = Settings(
        database_url=database_url(sqlite_engine),
        **own_queues(),
        data_dir=tmp_path / "data",
        secret_key=f"test-{uuid.uuid4().hex}",
        data_keys=TEST_DATA_KEYS,
    )
    async with running_api(settings, dev_env.client, sqlite_engine, reconcile=False) as running:
        yield running


async def delay(response: httpx.Response) -> None:
    await asyncio.sleep(DELAY)


@pytest.mark.e2e  # an open-loop load run
async def test_open_loop_percentiles_follow_the_answers(api: Api) -> None:
    applicant = await api.account(Role.applicant)
    body = {"scenario": "newborn", "form": newborn_form()}
    cases: list[str] = []
    submitter = Submitter([api.http], applicant.headers, body)

    quick = await open_loop(submitter.send(cases), RATE, SECONDS)
    api.http.event_hooks = {"request": [], "response": [delay]}
    slow = await open_loop(submitter.send(cases), RATE, SECONDS)

    # every request was sent, answered 201 and made a case of its own in the read model
    assert quick.sent == slow.sent == RATE * SECONDS
    assert not quick.failures and not slow.failures
    assert len(quick.latencies) == len(slow.latencies) == RATE * SECONDS
    assert len(set(cases)) == 2 * RATE * SECONDS
    assert count_cases(api.engine, applicant.id) == len(cases)
    # the injected delay is in every latency of the slowed run and moves p50 past it
    assert quick.percentile(50) < DELAY <= min(slow.latencies) <= slow.percentile(50)
    assert quick.percentile(50) <= quick.percentile(99) <= max(quick.latencies)


async def test_refused_answers_are_counted_apart(api: Api) -> None:
    applicant = await api.account(Role.applicant)
    invalid = {"scenario": "newborn", "form": {}}
    sample = await open_loop(Submitter([api.http], applicant.headers, invalid).send([]), RATE, 1)
    assert sample.failures == {"422": RATE}
    assert sample.latencies == []


async def test_bare_starts_are_timed(dev_env: WorkflowEnvironment) -> None:
    spec = get_catalog().spec("newborn")
    assert spec is not None
    sample = await open_loop(start_bare(plain(dev_env.client), spec), RATE, 1)
    assert sample.sent == len(sample.latencies) == RATE
    assert 0 < sample.percentile(50) <= sample.percentile(99)
