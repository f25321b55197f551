"""The `worker.py` process: `WorkerProcess` runs it as a child (killed mid-call and restarted
in tests/test_faults.py, per department in tests/test_http_departments.py); the bytecode the
workflow sandbox needs is cached, and adapter settings naming no department stop the worker
before it serves anything."""

import importlib.util
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import workflows.scenario
from runtime.settings import Settings
from tests.conftest import TEST_DATA_KEYS
from tests.helpers import own_queues, process_env
from worker import cache_workflow_bytecode

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
