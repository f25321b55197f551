"""Every scenario runs end to end: its example form is submitted as the API does, each
reviewed item is approved by a clerk of its own department, and the case completes with every
item done and every output issued (on the time-skipping server, SQLite read model)."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.submission import submit
from catalog.loader import get_catalog
from domain.statuses import CaseStatus, ItemStatus
from forms.unified import example_form
from runtime.settings import Settings
from store.models import Role
from store.users import add_user
from tests.conftest import Workers
from tests.helpers import own_queues, unique
from workflows import case_workflow_id
from workflows.models import ClaimInput, DecideInput, Decision
from workflows.scenario import ScenarioWorkflow

CATALOG = get_catalog()
SCENARIOS = [s.code for s in CATALOG.latest_versions()]


@pytest.fixture(scope="module")
async def running(
    time_skipping_env: WorkflowEnvironment,
    sqlite_engine: Engine,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Client, Engine, Settings]]:
    settings = Settings(
        database_url=sqlite_engine.url.render_as_string(hide_password=False),
        **own_queues(),
        data_dir=tmp_path_factory.mktemp("data"),
        secret_key=unique("test"),
    )
    async with Workers(time_skipping_env.client, sqlite_engine, settings):
        yield time_skipping_env.client, sqlite_engine, settings


@pytest.mark.parametrize("code", SCENARIOS)
async def test_the_example_case_completes(
    code: str, running: tuple[Client, Engine, Settings]
) -> None:
    client, engine, settings = running
    scenario = CATALOG.scenario(code)
    form = example_form(code, scenario.version)
    with Session(engine) as session:
        applicant = add_user(session, unique("applicant"), "pw", Role.applicant)
        assert applicant.id is not None
        row, created = await submit(
            session,
            client,
            CATALOG,
            applicant.id,
            code,
            form,
            queues=settings.queues,
        )
    assert created
    spec = CATALOG.spec(code, scenario.version).applicable(form)
    handle = client.get_workflow_handle_for(ScenarioWorkflow.run, case_workflow_id(row.id))
    reviewed = {i.code: i.department for i in spec.items if i.mode == "reviewed"}
    decided: set[str] = set()
    for _ in range(400):
        progress = await handle.query(ScenarioWorkflow.progress)
        if progress.status is not CaseStatus.running:
            break
        for item, department in reviewed.items():
            waiting = progress.items[item].status is ItemStatus.awaiting_review
            if waiting and item not in decided:
                clerk = {"clerk": f"clerk-{department}", "department": department}
                await handle.execute_update(ScenarioWorkflow.claim, ClaimInput(item=item, **clerk))
                await handle.execute_update(
                    ScenarioWorkflow.decide,
                    DecideInput(item=item, decision=Decision.approve, **clerk),
                )
                decided.add(item)
        if decided == set(reviewed):
            break
        await asyncio.sleep(0.05)
    assert decided == set(reviewed)
    result = await handle.result()
    assert result.status is CaseStatus.completed, result
    outputs = {o.code for item in spec.items for o in item.outputs}
    assert set(result.outputs) == outputs
