"""The reference department service as a separate process (uvicorn), for the tests."""

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from adapters.http import HEALTH

PORTS = range(18600, 18700)
DEPARTMENT = "public-security"
SECRET = "conformance-test-secret"


@dataclass(frozen=True)
class RunningService:
    url: str
    db_path: Path
    department: str = DEPARTMENT
    secret: str = SECRET


def free_port(ports: range = PORTS) -> int:
    """A port of `ports` (this area's range) that nothing listens on (random start: parallel
    runs)."""
    start = random.randrange(len(ports))
    for offset in range(len(ports)):
        port = ports[(start + offset) % len(ports)]
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


@contextmanager
def reference_service(folder: Path, **settings: object) -> Iterator[RunningService]:
    """Run `python -m examples.department_service` with `settings` (DEPT_SERVICE_* without
    the prefix, e.g. ready_after=1) until the block ends; wait for its health check."""
    port = free_port()
    db_path = folder / f"department-{port}.db"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DEPT_SERVICE_PORT": str(port),
        "DEPT_SERVICE_DB_PATH": str(db_path),
        "DEPT_SERVICE_DEPARTMENT": DEPARTMENT,
        "DEPT_SERVICE_SECRET": SECRET,
        **{f"DEPT_SERVICE_{name.upper()}": str(value) for name, value in settings.items()},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.department_service"],
        env=env,
        cwd=Path(__file__).parents[2],
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + HEALTH, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the reference service did not start ({process.returncode})")
            time.sleep(0.1)
        yield RunningService(url, db_path, str(settings.get("department", DEPARTMENT)))
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
