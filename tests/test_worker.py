"""The `worker.py` process: `WorkerProcess` runs it as a child (killed mid-call and restarted
in tests/test_faults.py, per department in tests/test_http_departments.py); the bytecode the
workflow sandbox needs is cached, and adapter settings naming no department stop the worker
before it serves anything."""

import importlib.util
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

import workflows.scenario
from runtime.settings import Settings
from tests.conftest import TEST_DATA_KEYS
from tests.helpers import own_queues, process_env, unique
from worker import cache_workflow_bytecode, workflow_worker

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


async def test_the_workflow_sandbox_is_the_tests_and_a_setting_of_deployments(
    dev_env: WorkflowEnvironment, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests run workflows sandboxed (a non-deterministic call fails there); a deployment
    runs them as WORKFLOW_SANDBOX says, unsandboxed unless set."""
    with ThreadPoolExecutor(1) as executor:
        queue = unique("sandbox")
        default = workflow_worker(dev_env.client, sqlite_engine, executor, queue)
        plain = workflow_worker(
            dev_env.client, sqlite_engine, executor, f"{queue}-plain", sandboxed=False
        )
    assert isinstance(default.config()["workflow_runner"], SandboxedWorkflowRunner)
    assert isinstance(plain.config()["workflow_runner"], UnsandboxedWorkflowRunner)
    assert Settings().workflow_sandbox is False
    monkeypatch.setenv("WORKFLOW_SANDBOX", "true")
    assert Settings().workflow_sandbox is True
