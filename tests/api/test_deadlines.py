"""Deadlines on the API's Temporal updates: a claim no worker answers is a 503 within the
deadline (outcome unknown, Retry-After); Temporal keeps the update and applies it once a
worker polls again, and the retry the message invites is answered as a claim by the holder."""

import time

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from runtime.settings import Settings
from store.models import Role
from tests.conftest import Workers
from tests.helpers import running_api, wait_until

pytestmark = pytest.mark.timeout(90)
DEADLINE_S = 2.0


async def test_a_claim_no_worker_answers_is_503_in_time_and_applied_once_one_polls(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    settings = settings.model_copy(update={"temporal_update_timeout_s": DEADLINE_S})
    async with running_api(settings, dev_env.client, engine) as api:
        applicant = await api.account(Role.applicant)
        clerk = await api.account(Role.clerk, "public-security")
        async with Workers(dev_env.client, engine, settings):
            case_id = (await api.submit(applicant)).json()["id"]
            await api.wait_for_review(applicant, case_id)
            task = await api.open_task(clerk, case_id)
        # no worker polls the test's queues now
        began = time.monotonic()
        claimed = await api.claim(clerk, task["id"])
        took = time.monotonic() - began
        assert claimed.status_code == 503, claimed.text
        assert DEADLINE_S - 0.1 < took < DEADLINE_S + 4, f"answered after {took:.1f} s"
        assert claimed.headers["Retry-After"]
        body = claimed.json()
        assert body["error"] == "outcome_unknown" and body["problems"] == []
        assert "刷新" in body["message"]["zh"] and "not known" in body["message"]["en"]
        assert (await api.open_task(clerk, case_id))["holder"] is None

        async with Workers(dev_env.client, engine, settings):

            async def held() -> bool:
                return (await api.open_task(clerk, case_id))["holder"] == clerk.user.username

            await wait_until(held, timeout=30, what="the admitted claim applied by a worker")
            again = await api.claim(clerk, task["id"])  # the retry: accepted, same holder
            assert again.status_code == 200, again.text
            assert again.json()["holder"] == clerk.user.username
