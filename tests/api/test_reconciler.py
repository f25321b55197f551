"""Temporal not answering a submission: the case is stored and answered 202, and the API's
reconciler starts its workflow once Temporal answers again, without a second case."""

import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.reconciler import Reconciler
from catalog.loader import get_catalog
from domain.statuses import CaseStatus
from routers.deps import TOKEN_COOKIE
from runtime.settings import Settings
from security.sign_in import web_token
from store.models import Case, Role
from tests.conftest import BIN, DB_BACKENDS, TEST_CONVERTER, fresh_database
from tests.helpers import (
    case_id_for,
    count_cases,
    newborn_form,
    running_api,
    wait_until,
    workflow_exists,
)
from web.csrf import CSRF_FIELD

pytestmark = pytest.mark.timeout(60)
DEADLINE_S = 1.0
SLACK_S = 4.0  # a loaded CI machine; the SDK alone retries an absent server for 6-10 s
FORM_TOKENS = ("idempotency_key", CSRF_FIELD)


@pytest.fixture(params=DB_BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A read model of this test alone (the session's is shared): the reconciler takes every
    unstarted case it holds."""
    with fresh_database(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture
def own_settings(settings: Settings) -> Settings:
    """The test's settings (conftest: on `engine` above), with short Temporal deadlines."""
    return settings.model_copy(
        update={"temporal_call_timeout_s": DEADLINE_S, "temporal_update_timeout_s": DEADLINE_S}
    )


@pytest.fixture(scope="module")
async def unreachable() -> AsyncIterator[Client]:
    """A client whose Temporal went away: connected to a dev server of its own, which is then
    shut down (its calls fail UNAVAILABLE, as the API's client does when Temporal stops)."""
    env = await WorkflowEnvironment.start_local(
        data_converter=TEST_CONVERTER, dev_server_existing_path=str(BIN / "temporal")
    )
    client = env.client
    await env.shutdown()
    yield client


async def test_stored_case_is_accepted_and_started_once_temporal_answers(
    dev_env: WorkflowEnvironment, engine: Engine, own_settings: Settings, unreachable: Client
) -> None:
    key = str(uuid.uuid4())
    async with running_api(own_settings, unreachable, engine) as api:
        applicant = await api.account(Role.applicant)
        began = time.monotonic()
        first = await api.submit(applicant, key=key)
        took = time.monotonic() - began
        assert first.status_code == 202, first.text
        assert took < DEADLINE_S + SLACK_S, f"answered after {took:.1f} s"
        case_id = first.json()["id"]
        assert case_id == case_id_for(applicant.id, key)
        assert first.json()["status"] == "submitted"

        again = await api.submit(applicant, key=key)  # a retry with the key: the same case
        assert again.status_code == 202 and again.json()["id"] == case_id
        listed = await api.http.get("/api/v1/cases", headers=applicant.headers)
        assert [c["id"] for c in listed.json()] == [case_id]

        # an update (here a withdrawal) Temporal does not answer: 503 within its deadline
        began = time.monotonic()
        withdrawn = await api.http.post(
            f"/api/v1/cases/{case_id}/withdraw", json={"reason": "x"}, headers=applicant.headers
        )
        took = time.monotonic() - began
        assert withdrawn.status_code == 503, withdrawn.text
        assert withdrawn.headers["Retry-After"] and took < DEADLINE_S + SLACK_S, took
        body = withdrawn.json()
        assert body["error"] == "outcome_unknown" and body["message"]["zh"]
        assert "not known" in body["message"]["en"]
    assert count_cases(engine, applicant.id) == 1
    assert not await workflow_exists(dev_env.client, case_id)

    # Temporal answers again: one pass of a reconciler on a good client starts it, once.
    catalog = get_catalog(own_settings.catalog_dir)
    reconciler = Reconciler(engine, dev_env.client, catalog, own_settings.queues, 5.0)
    assert await reconciler.run_once(older_than_s=0) == 1
    assert await workflow_exists(dev_env.client, case_id)
    assert await reconciler.run_once(older_than_s=0) == 0  # remembered: not started again
    fresh = Reconciler(engine, dev_env.client, catalog, own_settings.queues, 5.0)
    assert await fresh.run_once(older_than_s=0) == 1  # another process: a harmless no-op
    assert count_cases(engine, applicant.id) == 1
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.status is CaseStatus.submitted  # no worker here


async def test_the_api_reconciles_on_its_own_within_its_period(
    dev_env: WorkflowEnvironment, engine: Engine, own_settings: Settings, unreachable: Client
) -> None:
    """A case stored while Temporal did not answer is started by the background reconciler
    of an API that reaches Temporal, within two periods, without a request."""
    async with running_api(own_settings, unreachable, engine) as api:
        applicant = await api.account(Role.applicant)
        stored = await api.submit(applicant)  # no key: the 202 still names the case
        assert stored.status_code == 202, stored.text
        case_id = stored.json()["id"]
    period = 0.5
    settings = own_settings.model_copy(update={"reconcile_seconds": period})
    async with running_api(settings, dev_env.client, engine):
        await wait_until(
            lambda: workflow_exists(dev_env.client, case_id),
            timeout=20,
            what="the background reconciler to start the stored case",
        )
    assert count_cases(engine, applicant.id) == 1


async def test_the_web_form_is_received_while_temporal_does_not_answer(
    engine: Engine, own_settings: Settings, unreachable: Client
) -> None:
    """The apply page's post: stored, and the case page says it starts within seconds."""
    async with running_api(own_settings, unreachable, engine) as api:
        applicant = await api.account(Role.applicant)
        api.http.cookies.set(TOKEN_COOKIE, web_token(applicant.user, own_settings))
        page = (await api.http.get("/scenarios/newborn/apply")).text
        key, csrf = (re.search(f'name="{n}" value="([^"]+)"', page) for n in FORM_TOKENS)
        assert key is not None and csrf is not None
        form = {k: str(v) for k, v in newborn_form().items()}
        posted = {**form, FORM_TOKENS[0]: key.group(1), FORM_TOKENS[1]: csrf.group(1)}
        answer = await api.http.post("/scenarios/newborn/apply", data=posted)
        assert answer.status_code == 303, answer.text[:500]
        with Session(engine) as session:
            case = session.get(Case, case_id_for(applicant.id, key.group(1)))
            assert case is not None and case.number is not None
        assert answer.headers["location"] == f"/cases/{case.number}?msg=queued"
        shown = await api.http.get(answer.headers["location"])
        assert shown.status_code == 200 and "办理将在数秒内开始" in shown.text
    assert count_cases(engine, applicant.id) == 1
