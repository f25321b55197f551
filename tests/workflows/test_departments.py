"""Departments as plug-ins: a flaky department still completes every case once; the
scenario workflow and department workers run as separate processes, one department with its
own adapter (DEPARTMENT_ADAPTERS)."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.submission import submit
from catalog.loader import get_catalog
from domain.queues import TaskQueues
from domain.statuses import CaseStatus, ItemStatus
from runtime.settings import Settings
from store.db import create_schema, make_engine
from store.models import CaseItem, Role, SimulatedIssue
from store.users import add_user
from tests.conftest import TEST_DATA_KEYS, Workers
from tests.helpers import newborn_form, own_queues, unique, wait_until
from workflows import case_workflow_id
from workflows.models import ClaimInput, DecideInput, Decision, ScenarioResult
from workflows.scenario import ScenarioWorkflow

ROOT = Path(__file__).resolve().parents[2]


async def run_case(client: Client, engine: Engine, queues: TaskQueues) -> ScenarioResult:
    """Submit a newborn case, approve its review when it opens, return its result."""
    with Session(engine) as session:
        applicant = add_user(session, unique("applicant"), "pw", Role.applicant)
        assert applicant.id is not None
        case, _ = await submit(
            session,
            client,
            get_catalog(),
            applicant.id,
            "newborn",
            newborn_form(),
            queues=queues,
        )

    def review_open() -> bool:
        with Session(engine) as session:
            row = session.exec(
                select(CaseItem).where(
                    CaseItem.case_id == case.id, CaseItem.item == "household_registration"
                )
            ).one()
            return row.status is ItemStatus.awaiting_review

    await wait_until(review_open, timeout=60, what="review task open")
    handle = client.get_workflow_handle_for(ScenarioWorkflow.run, case_workflow_id(case.id))
    clerk = {"item": "household_registration", "clerk": "clerk", "department": "public-security"}
    await handle.execute_update(ScenarioWorkflow.claim, ClaimInput(**clerk))
    await handle.execute_update(
        ScenarioWorkflow.decide, DecideInput(**clerk, decision=Decision.approve)
    )
    return await handle.result()


def ledger(engine: Engine, case_id: str) -> dict[str, dict[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(SimulatedIssue).where(SimulatedIssue.case_id == case_id)).all()
    assert len(rows) == len({r.item for r in rows})  # one issue per (case, item)
    return {r.item: r.outputs for r in rows}


@pytest.mark.timeout(240)
async def test_a_flaky_department_still_completes_every_case_each_output_once(
    dev_env: WorkflowEnvironment, sqlite_engine: Engine, tmp_path: Path
):
    """A quarter of department calls fail; Temporal retries with backoff (real time on the dev
    server) and the breaker fails fast while a department looks down. The production backoff
    doubles from 1 s: an item that fails five times in a row waits half a minute, eight times
    over four minutes. At a third and four cases, one run in six had the first and one in
    fifty the second; at a quarter and three cases, one in thirty and one in two thousand."""
    settings = Settings(
        database_url=str(sqlite_engine.url),
        **own_queues(),
        data_dir=tmp_path,
        sim_failure_rate=1 / 4,
        breaker_failures=3,
        breaker_reset_s=0.2,
    )
    async with Workers(dev_env.client, sqlite_engine, settings):
        results = await asyncio.gather(
            *(run_case(dev_env.client, sqlite_engine, settings.queues) for _ in range(3))
        )
    attempts = []
    for result in results:
        handle = dev_env.client.get_workflow_handle(case_workflow_id(result.case_id))
        async for event in handle.fetch_history_events():
            if event.HasField("activity_task_started_event_attributes"):
                attempts.append(event.activity_task_started_event_attributes.attempt)
    assert len(attempts) == 30 and max(attempts) > 1  # every item once, some retried
    for result in results:
        assert result.status is CaseStatus.completed
        issued = ledger(sqlite_engine, result.case_id)
        assert len(issued) == 10
        assert {k: v for outputs in issued.values() for k, v in outputs.items()} == result.outputs


@pytest.mark.e2e
@pytest.mark.timeout(120)
async def test_workflow_worker_and_department_workers_in_separate_processes(
    dev_env: WorkflowEnvironment, tmp_path: Path
):
    database = f"sqlite:///{tmp_path / 'onego.db'}"
    engine = make_engine(database)
    create_schema(engine)
    queues = Settings(**own_queues()).queues
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SCENARIO_TASK_QUEUE": queues.scenarios,
        "DEPARTMENT_QUEUE_PREFIX": queues.department_prefix,
        "DATA_DIR": str(tmp_path),
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "DATA_KEYS": TEST_DATA_KEYS,  # the workers seal as the test's client does
        "DEPARTMENT_ADAPTERS": "tax=tests.adapters.own_department:make",
    }
    commands = [
        ["--workflows-only"],
        ["--department", "health", "--department", "public-security"],
        [
            "--department",
            "medical-insurance",
            "--department",
            "human-resources",
            "--department",
            "tax",
        ],
    ]
    processes = [
        subprocess.Popen([sys.executable, "worker.py", *args], cwd=ROOT, env=env)
        for args in commands
    ]
    try:
        result = await run_case(dev_env.client, engine, queues)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    assert result.status is CaseStatus.completed
    # The tax bureau's item was issued by its own adapter, the nine others by the simulated one.
    assert result.outputs["premium_receipt_no"].startswith("OWN")
    issued = ledger(engine, result.case_id)
    assert len(issued) == 9 and "medical_insurance_payment" not in issued
