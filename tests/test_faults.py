"""Faults, each on real processes and a real Temporal server: the worker SIGKILLed in the
middle of department calls, the dev server SIGKILLed and restarted on its database file, the
API SIGKILLed in the middle of a burst of submissions. Afterwards every case answered 2xx
completes once approved, no department output is issued twice (the simulated departments'
ledger, table simulated_issue), and no case stays stored but not started.

Each test prints its counts: accepted, completed, lost, issued twice."""

import asyncio
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from runtime.settings import Settings
from store.db import create_schema, make_engine
from store.models import Case, Role, SimulatedIssue
from tests.conftest import TEST_CONVERTER, TEST_DATA_KEYS, Workers
from tests.helpers import (
    Account,
    Api,
    own_queues,
    process_env,
    running_api,
    wait_until,
    workflow_exists,
)
from tests.test_run import free_port, port_open
from tests.test_worker import WorkerProcess
from workflows import case_workflow_id
from workflows.search_attributes import dev_server_args

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@dataclass
class Counts:
    accepted: int
    completed: int
    lost: int
    issued_twice: int

    def __str__(self) -> str:
        return (
            f"accepted {self.accepted}, completed {self.completed}, lost {self.lost}, "
            f"issued twice {self.issued_twice}"
        )


def fault_settings(tmp_path: Path, latency_ms: int = 0) -> Settings:
    """One test's settings: a SQLite file its processes share, queues of its own."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'onego.db'}",
        **own_queues(),
        data_dir=tmp_path / "data",
        secret_key=uuid.uuid4().hex,
        sim_latency_ms=latency_ms,
        data_keys=TEST_DATA_KEYS,
    )


@contextmanager
def read_model(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    create_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()


async def settle(api: Api, applicant: Account, clerk: Account, accepted: list[str]) -> Counts:
    """Approve every accepted case once it waits for its clerk; count those that complete,
    and the (case, item)s whose department output was issued more than once or differs
    from what the case recorded."""
    completed = 0
    for case_id in accepted:
        await api.wait_for_review(applicant, case_id)
        await api.approve(clerk, case_id)
    for case_id in accepted:
        case = await api.wait_case(
            applicant, case_id, lambda c: c["status"] == "completed", timeout=60
        )
        completed += case["progress"]["done"] == case["progress"]["total"]
    with Session(api.engine) as session:
        issues = session.exec(
            select(SimulatedIssue).where(col(SimulatedIssue.case_id).in_(accepted))
        ).all()
    per_item = Counter((i.case_id, i.item) for i in issues)
    twice = sum(n - 1 for n in per_item.values())
    for case_id in accepted:
        case = await api.case(applicant, case_id)
        for item in case["items"]:
            ledger = [i.outputs for i in issues if (i.case_id, i.item) == (case_id, item["code"])]
            twice += ledger != [item["outputs"]]  # none, or not the one the case holds
    return Counts(len(accepted), completed, len(accepted) - completed, twice)


async def submit_all(api: Api, applicant: Account, count: int) -> list[str]:
    responses = await asyncio.gather(
        *(api.submit(applicant, key=uuid.uuid4().hex) for _ in range(count))
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    return [r.json()["id"] for r in responses]


async def calls_in_flight(client: Client, case_ids: list[str]) -> int:
    """Department calls a worker has started and not finished, over these cases."""
    started = 0
    for case_id in case_ids:
        description = await client.get_workflow_handle(case_workflow_id(case_id)).describe()
        started += sum(
            a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
            for a in description.raw_description.pending_activities
        )
    return started


async def retried_calls(client: Client, case_ids: list[str]) -> int:
    """Department calls that ran more than once (their first attempt died with a worker)."""
    retried = 0
    for case_id in case_ids:
        async for event in client.get_workflow_handle(
            case_workflow_id(case_id)
        ).fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                retried += event.activity_task_started_event_attributes.attempt > 1
    return retried


async def test_worker_killed_in_the_middle_of_department_calls(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = fault_settings(tmp_path, latency_ms=1500)
    env = process_env(settings, dev_env.client.service_client.config.target_host)
    log = tmp_path / "worker.log"
    workers = [WorkerProcess(env, log)]
    with read_model(settings) as engine:
        try:
            async with running_api(settings, dev_env.client, engine) as api:
                applicant = await api.account(Role.applicant)
                clerk = await api.account(Role.clerk, "public-security")
                accepted = await submit_all(api, applicant, 6)
                await wait_until(
                    lambda: calls_in_flight(dev_env.client, accepted), 60, what="calls in flight"
                )
                assert workers[0].alive()
                workers[0].kill()
                workers.append(WorkerProcess(env, log))
                counts = await settle(api, applicant, clerk, accepted)
                retried = await retried_calls(dev_env.client, accepted)
        finally:
            for worker in workers:
                worker.stop()
    print(f"worker SIGKILL mid-call: {counts}; calls retried after the kill {retried}")
    assert retried > 0  # the kill did cut calls short
    assert counts == Counts(6, 6, 0, 0)


class DevServer:
    """`temporal server start-dev` on fixed ports and a database file, as `onego run` starts
    it: killed and started again on the same file."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.command = [
            str(BIN / "temporal"),
            *("server", "start-dev", "--headless", "--log-level", "error"),
            *("--db-filename", str(folder / "temporal.db"), "--ip", "127.0.0.1"),
            *("--port", str(self.port), "--metrics-port", str(free_port())),
            *dev_server_args(),
        ]
        self.log = folder / "temporal.log"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=out)
        await wait_until(self.serving, 60, 0.3, what="the dev server")

    async def serving(self) -> bool:
        try:
            await Client.connect(self.address, data_converter=TEST_CONVERTER)
        except RuntimeError:  # not listening yet, or "Frontend is not healthy yet"
            return False
        return True

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


async def test_dev_server_killed_and_restarted_on_its_database_file(tmp_path: Path) -> None:
    settings = fault_settings(tmp_path, latency_ms=1000)
    server = DevServer(tmp_path)
    await server.start()
    env = process_env(settings, server.address)
    log = tmp_path / "worker.log"
    workers = [WorkerProcess(env, log)]
    try:
        client = await Client.connect(server.address, data_converter=TEST_CONVERTER)
        with read_model(settings) as engine:
            async with running_api(settings, client, engine) as api:
                applicant = await api.account(Role.applicant)
                clerk = await api.account(Role.clerk, "public-security")
                accepted = await submit_all(api, applicant, 6)
                await wait_until(
                    lambda: calls_in_flight(client, accepted), 60, what="calls in flight"
                )
                server.kill()
                await asyncio.sleep(1)
                await server.start()
                if workers[0].process.poll() is not None:  # no supervisor here: start one
                    workers.append(WorkerProcess(env, log))
                counts = await settle(api, applicant, clerk, accepted)
    finally:
        for worker in workers:
            worker.stop()
        server.stop()
    print(f"dev server SIGKILL and restart: {counts}; worker survived: {len(workers) == 1}")
    assert counts == Counts(6, 6, 0, 0)


class ApiProcess:
    """`uvicorn --factory api:create_app` as `onego run` starts it."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        command = [sys.executable, "-m", "uvicorn", "--factory", "api:create_app"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=out, stderr=out)
        await wait_until(lambda: port_open(self.port), 60, 0.2, what="the API")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


@asynccontextmanager
async def http_api(
    process: ApiProcess, engine: Engine, settings: Settings, client: Client
) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{process.port}", timeout=60) as http:
        yield Api(http, engine, settings, client)


def stored_cases(engine: Engine, applicant: Account) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Case.id).where(Case.applicant_id == applicant.id)).all())


async def not_started(engine: Engine, client: Client, applicant: Account) -> list[str]:
    """The applicant's cases stored without a workflow."""
    return [c for c in stored_cases(engine, applicant) if not await workflow_exists(client, c)]


async def test_api_killed_in_the_middle_of_a_burst(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = fault_settings(tmp_path)
    client = dev_env.client
    env = process_env(settings, client.service_client.config.target_host)
    api_process = ApiProcess(env, tmp_path / "api.log")
    burst = 30
    with read_model(settings) as engine:
        await api_process.start()
        try:
            async with (
                Workers(client, engine, settings),
                http_api(api_process, engine, settings, client) as api,
            ):
                applicant = await api.account(Role.applicant)
                clerk = await api.account(Role.clerk, "public-security")

                async def submit() -> httpx.Response | None:
                    try:
                        return await api.submit(applicant, key=uuid.uuid4().hex)
                    except httpx.TransportError:
                        return None  # the API died with the request

                submissions = [asyncio.create_task(submit()) for _ in range(burst)]
                await wait_until(lambda: sum(s.done() for s in submissions) >= 3, 60, 0.01)
                api_process.kill()
                answers = await asyncio.gather(*submissions)
                accepted = [a.json()["id"] for a in answers if a and a.status_code == 201]
                assert all(a is None or a.status_code in (201, 503) for a in answers), [
                    a.text for a in answers if a
                ]
                assert 3 <= len(accepted) < burst  # the kill came in the middle
                left = len(await not_started(engine, client, applicant))

                await api_process.start()

                # Every case stored, answered or not, gets its workflow (the API's start-up
                # and its reconciler): none stays stored but not started.
                async def all_started() -> bool:
                    return not await not_started(engine, client, applicant)

                await wait_until(all_started, 30, 0.5, what="every stored case started")
                stored = stored_cases(engine, applicant)
                assert set(accepted) <= set(stored)
                counts = await settle(api, applicant, clerk, stored)
        finally:
            api_process.stop()
    print(
        f"API SIGKILL mid-burst of {burst}: answered 2xx {len(accepted)}, stored {len(stored)} "
        f"({left} not started when the API died); {counts}"
    )
    assert counts.lost == counts.issued_twice == 0 and counts.completed == counts.accepted
