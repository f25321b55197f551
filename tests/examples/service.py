"""The reference department service as a separate process (uvicorn), for the tests."""

import itertools
import os
import socket
import subprocess
import sys
import time
from collections import defaultdict
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
    """A port of `ports` (this area's range) that nothing listens on. Each xdist worker takes
    its own share of the range and hands its ports out in turn, so neither two tests running
    side by side nor two systems of one test get the same port (a port checked free stays free
    only until someone binds it)."""
    share = _worker_share(ports)
    for _ in range(len(share)):
        port = share[next(_turns[share]) % len(share)]
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {share.start}-{share.stop - 1}")


def _worker_share(ports: range) -> range:
    """This xdist worker's slice of `ports` (all of them outside xdist)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    size = len(ports) // workers
    return ports[index * size : (index + 1) * size]


_turns: defaultdict[range, Iterator[int]] = defaultdict(itertools.count)


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
