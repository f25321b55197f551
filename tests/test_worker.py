"""A real `worker.py` process killed mid-case and restarted: the case completes and no
department output is issued twice (dev server, file SQLite shared by API and worker). The
bytecode the workflow sandbox needs is cached, and adapter settings naming no department
stop the worker before it serves anything."""

import importlib.util
import signal
import socket
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

import workflows.scenario
from runtime.settings import Settings
from store.db import create_schema, make_engine
from store.models import Role, SimulatedIssue
from tests.conftest import TEST_DATA_KEYS
from tests.helpers import INDEPENDENT_OF_REGISTRATION, own_queues, process_env, running_api
from worker import cache_workflow_bytecode
from workflows import case_workflow_id

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


class WorkerProcess:
    """`python worker.py` (workflows and every department, or what `args` name) as a child
    process."""

    def __init__(self, env: dict[str, str], log: Path, *args: str):
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "worker.py", *args], cwd=ROOT, env=env, stdout=out, stderr=out
            )

    @property
    def identity(self) -> str:
        """The worker identity Temporal records (the SDK's default, pid@host)."""
        return f"{self.process.pid}@{socket.gethostname()}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def alive(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited {self.process.returncode}: {self.log.read_text()}")
        return True


@pytest.fixture
def worker_env(dev_env: WorkflowEnvironment, tmp_path: Path) -> Iterator[tuple[dict, Settings]]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'onego.db'}",
        **own_queues(),
        data_dir=tmp_path / "data",
        secret_key=uuid.uuid4().hex,
        sim_latency_ms=300,
        data_keys=TEST_DATA_KEYS,  # the worker process seals as the test's client does
        # The approval right after the kill waits for the new worker (below); the 503 that the
        # default 10 s deadline gives meanwhile is tests/api/test_deadlines.py's subject.
        temporal_update_timeout_s=60,
    )
    address = dev_env.client.service_client.config.target_host
    env = process_env(settings, address, dev_env.client.namespace)
    yield env, settings


async def test_worker_killed_mid_case_then_restarted(
    dev_env: WorkflowEnvironment, worker_env: tuple[dict, Settings], tmp_path: Path
) -> None:
    env, settings = worker_env
    engine = make_engine(settings.database_url)
    create_schema(engine)
    log = tmp_path / "worker.log"
    first = WorkerProcess(env, log)
    second: WorkerProcess | None = None
    try:
        async with running_api(settings, dev_env.client, engine) as api:
            applicant = await api.account(Role.applicant)
            clerk = await api.account(Role.clerk, "public-security")
            created = await api.submit(applicant)
            assert created.status_code == 201, created.text
            case_id = created.json()["id"]

            # Some items are done (those not waiting for the clerk), others are not.
            half = await api.wait_for_review(applicant, case_id)
            assert first.alive()
            assert half["progress"]["done"] == len(INDEPENDENT_OF_REGISTRATION) < 10
            first.kill()

            second = WorkerProcess(env, log)
            # The task's updates reach the workflow once Temporal gives up on the dead
            # worker's sticky queue (the SDK's 10 s schedule-to-start timeout).
            await api.approve(clerk, case_id)
            case = await api.wait_case(
                applicant, case_id, lambda c: c["status"] == "completed", timeout=60
            )
            assert second.alive()

        assert case["progress"]["done"] == case["progress"]["total"] == 10
        assert {i["status"] for i in case["items"]} == {"done"}

        with Session(engine) as session:
            issues = session.exec(
                select(SimulatedIssue).where(SimulatedIssue.case_id == case_id)
            ).all()
        assert sorted(i.item for i in issues) == sorted(i["code"] for i in case["items"])
        ledger = {code: value for issue in issues for code, value in issue.outputs.items()}
        assert case["outputs"] == ledger
        for item in case["items"]:
            issue = next(i for i in issues if i.item == item["code"])
            assert item["outputs"] == issue.outputs

        # The history: every item's activity ran once, the first worker before the kill and
        # the second one after it.
        handle = dev_env.client.get_workflow_handle(case_workflow_id(case_id))
        scheduled: Counter[str] = Counter()
        names: dict[int, str] = {}
        ran_by: dict[str, str] = {}
        for event in (await handle.fetch_history()).events:
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                name = event.activity_task_scheduled_event_attributes.activity_type.name
                scheduled[name] += 1
                names[event.event_id] = name
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                started = event.activity_task_started_event_attributes
                assert started.attempt == 1
                ran_by[names[started.scheduled_event_id]] = started.identity
        assert set(scheduled.values()) == {1} and len(scheduled) == 10
        before = {"register_childbirth", "issue_birth_certificate"}
        after = {"register_household", "enrol_medical_insurance", "collect_insurance_premium"}
        assert {ran_by[a] for a in before} == {first.identity}
        assert {ran_by[a] for a in after} == {second.identity}
    finally:
        first.stop()
        if second is not None:
            second.stop()
        engine.dispose()


def test_the_workflows_bytecode_is_cached_for_the_sandbox() -> None:
    source = Path(workflows.scenario.__file__)
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.unlink(missing_ok=True)
    assert cache_workflow_bytecode()
    assert cached.stat().st_mtime >= source.stat().st_mtime


def test_a_worker_refuses_adapter_settings_naming_no_department(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, **own_queues(), data_keys=TEST_DATA_KEYS)
    env = {**process_env(settings, "127.0.0.1:9"), "DEPARTMENT_ADAPTERS": "tax=http,taxx=http"}
    done = subprocess.run(
        [sys.executable, "worker.py", "--department", "tax"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "DEPARTMENT_ADAPTERS: no department taxx" in done.stderr
