"""Two departments plug in their own systems: the newborn case end to end with public security
and health on the HTTP adapter, each against its own reference department system
(examples/department_service, with its own SQLite ledger), the three other departments
simulated. Every piece runs as a process of its own on a real Temporal dev server: the two
systems, the workflow worker, the health worker, and one worker serving public security (over
HTTP) beside the simulated departments.

Midway the health worker is SIGKILLed while its calls wait on its slow system and started
again, and the public-security system is SIGKILLed in the middle of the reviewed item's call
and started again on its ledger. The case completes, and each system's ledger holds exactly
one issue per (case, item) of its department, the one the case shows."""

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from adapters.http import HEALTH
from cases.submission import submit
from catalog.loader import get_catalog
from domain.statuses import CaseStatus, ItemStatus
from store.models import CaseItem, Role, SimulatedIssue
from store.users import add_user
from tests.examples.service import free_port
from tests.helpers import newborn_form, process_env, unique, wait_until
from tests.test_faults import fault_settings, read_model
from tests.test_worker import WorkerProcess
from workflows import case_workflow_id
from workflows.models import ClaimInput, DecideInput, Decision
from workflows.scenario import ScenarioWorkflow

ROOT = Path(__file__).resolve().parents[1]
PORTS = range(18700, 18800)
SIMULATED = ("human-resources", "medical-insurance", "tax")
REVIEWED_ITEM = "household_registration"  # public security's, approved by its clerk
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


class DepartmentSystem:
    """`python -m examples.department_service` for one department, on a port and a ledger of
    its own that it keeps when killed and started again."""

    def __init__(self, department: str, folder: Path, latency_ms: int):
        self.department = department
        self.secret = f"{department}-test-secret"
        port = free_port(PORTS)
        self.url = f"http://127.0.0.1:{port}"
        self.db_path = folder / f"{department}-system.db"
        self.log = folder / f"{department}-system.log"
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DEPT_SERVICE_PORT": str(port),
            "DEPT_SERVICE_DB_PATH": str(self.db_path),
            "DEPT_SERVICE_DEPARTMENT": department,
            "DEPT_SERVICE_SECRET": self.secret,
            "DEPT_SERVICE_LATENCY_MS": str(latency_ms),
        }
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "examples.department_service"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=out,
            )
        await wait_until(self.serving, 60, 0.1, what=f"the {self.department} system")

    async def serving(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"{self.department} system exited: {self.log.read_text()}")
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=1) as http:
                answer = await http.get(HEALTH)
        except httpx.TransportError:
            return False
        # this department's system, not another one answering on the port
        return answer.status_code == 200 and answer.json()["department"] == self.department

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def issues(self, case_id: str) -> list[tuple[str, dict[str, str], str | None]]:
        """The ledger's issues of the case, by item: (item, outputs, revoked_at)."""
        with closing(sqlite3.connect(self.db_path)) as ledger:
            rows = ledger.execute(
                "SELECT item, outputs, revoked_at FROM issue WHERE case_id = ? ORDER BY item",
                (case_id,),
            ).fetchall()
        return [(item, json.loads(outputs), revoked_at) for item, outputs, revoked_at in rows]


def http_adapters(*systems: DepartmentSystem) -> dict[str, str]:
    """The worker settings that put each of `systems`' departments on the `http` adapter."""

    def entries(value: Callable[[DepartmentSystem], str]) -> str:
        return ", ".join(f"{system.department}={value(system)}" for system in systems)

    return {
        "DEPARTMENT_ADAPTERS": entries(lambda _: "http"),
        "DEPARTMENT_URLS": entries(lambda system: system.url),
        "DEPARTMENT_SECRETS": entries(lambda system: system.secret),
    }


def activities_of(department: str) -> set[str]:
    return {i.activity for i in get_catalog().items.values() if i.department == department}


def call_in_flight(client: Client, case_id: str, department: str) -> Callable[[], Awaitable[bool]]:
    """Whether a worker has started a call of the case to `department` and not finished it."""

    async def in_flight() -> bool:
        description = await client.get_workflow_handle(case_workflow_id(case_id)).describe()
        return any(
            a.activity_type.name in activities_of(department)
            and a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
            for a in description.raw_description.pending_activities
        )

    return in_flight


async def attempts(client: Client, case_id: str) -> dict[str, int]:
    """The attempts each department activity of the case took."""
    scheduled: dict[int, str] = {}
    taken: dict[str, int] = {}
    async for event in client.get_workflow_handle(case_workflow_id(case_id)).fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            attributes = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = attributes.activity_type.name
        elif event.HasField("activity_task_started_event_attributes"):
            start = event.activity_task_started_event_attributes
            name = scheduled[start.scheduled_event_id]
            taken[name] = max(taken.get(name, 0), start.attempt)
    return taken


def item_status(engine: Engine, case_id: str, item: str) -> ItemStatus:
    with Session(engine) as session:
        row = session.exec(
            select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.item == item)
        ).one()
    return row.status


def issued_by(engine: Engine, case_id: str) -> dict[str, list[str]]:
    """The items of the case by the department that issues them (as the read model has them),
    and under `simulated` those the simulated back-end issued (its ledger)."""
    catalog = get_catalog()
    with Session(engine) as session:
        items = session.exec(select(CaseItem.item).where(CaseItem.case_id == case_id)).all()
        simulated = session.exec(
            select(SimulatedIssue.item).where(SimulatedIssue.case_id == case_id)
        ).all()
    departments: dict[str, list[str]] = {"simulated": sorted(simulated)}
    for item in sorted(items):
        departments.setdefault(catalog.items[item].department, []).append(item)
    return departments


async def test_newborn_case_with_two_departments_systems_over_http(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    client = dev_env.client
    settings = fault_settings(tmp_path)
    # Slow systems: a call lasts long enough for the test to see it in flight and cut it.
    health = DepartmentSystem("health", tmp_path, latency_ms=2000)
    police = DepartmentSystem("public-security", tmp_path, latency_ms=2000)
    env = {
        **process_env(settings, client.service_client.config.target_host),
        **http_adapters(police, health),
        # A system slow to start again on a busy machine may fail the five calls that open the
        # circuit; its default 30 s would then stretch the test.
        "BREAKER_RESET_S": "5",
    }
    log = tmp_path / "workers.log"
    workers: list[WorkerProcess] = []
    try:
        await asyncio.gather(health.start(), police.start())
        health_worker = WorkerProcess(env, log, "--department", "health")
        workers += [
            WorkerProcess(env, log, "--workflows-only"),
            WorkerProcess(
                env, log, *(f"--department={d}" for d in ("public-security", *SIMULATED))
            ),
            health_worker,
        ]
        with read_model(settings) as engine:
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
                    queues=settings.queues,
                )
            handle = client.get_workflow_handle_for(ScenarioWorkflow.run, case_workflow_id(case.id))

            # The health worker dies while its calls wait on the slow system, which goes on and
            # issues; the next worker's retries must get those same issues, not new ones.
            health_call = call_in_flight(client, case.id, "health")

            async def health_call_in_flight() -> bool:
                return health_worker.alive() and await health_call()  # a dead worker: its log

            await wait_until(health_call_in_flight, 60, what="health call")
            health_worker.kill()
            workers.append(WorkerProcess(env, log, "--department", "health"))

            await wait_until(
                lambda: item_status(engine, case.id, REVIEWED_ITEM) is ItemStatus.awaiting_review,
                60,
                what="the household registration review open",
            )
            clerk = {"item": REVIEWED_ITEM, "clerk": "clerk", "department": "public-security"}
            await handle.execute_update(ScenarioWorkflow.claim, ClaimInput(**clerk))
            await handle.execute_update(
                ScenarioWorkflow.decide, DecideInput(**clerk, decision=Decision.approve)
            )

            # The public-security system dies in the middle of the approved item's call and
            # comes back on its ledger.
            await wait_until(
                call_in_flight(client, case.id, "public-security"), 30, what="the approved call"
            )
            police.kill()
            await police.start()

            result = await asyncio.wait_for(handle.result(), 60)
            departments = issued_by(engine, case.id)
        taken = await attempts(client, case.id)
    finally:
        for worker in workers:
            worker.stop()
        for system in (health, police):
            system.stop()

    assert result.status is CaseStatus.completed
    for system in (health, police):
        ledger = system.issues(case.id)
        # exactly one issue per (case, item) of the department, the one the case holds
        assert [item for item, _, _ in ledger] == departments[system.department]
        for _, outputs, revoked_at in ledger:
            assert revoked_at is None and outputs.items() <= result.outputs.items()
    assert departments["simulated"] == sorted(i for d in SIMULATED for i in departments[d])
    assert max(taken[a] for a in activities_of("health") & set(taken)) > 1  # the kill cut calls
    assert taken["register_household"] > 1  # the system's restart cut its call
