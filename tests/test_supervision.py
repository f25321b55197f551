"""`onego run` supervises: the worker, the API and the dev server, each SIGKILLed in turn, are
restarted, the restart is printed and each time the API serves again; after the three kills a
case completes once a clerk approves it, on the restarted worker and API reconnected to the
restarted dev server. One `onego run` for all three. (A case through each fault, killed in the
middle of its calls, is tests/test_faults.py.)"""

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from tests.helpers import INDEPENDENT_OF_REGISTRATION, newborn_form
from tests.test_run import NOISE, Platform, port_open

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
T = TypeVar("T")

# What tells each component apart in its command line, and the name `onego run` prints.
COMPONENTS = {"worker": "worker", "API": "uvicorn", "Temporal dev server": "start-dev"}


def children(parent: int) -> dict[int, str]:
    """The processes whose parent is `parent`: pid → command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue  # ended meanwhile
        if ppid == parent:
            found[int(stat.parent.name)] = command
    return found


def component_pid(parent: int, marker: str) -> int:
    """The pid of the child of `parent` whose command line holds `marker`."""
    found = [pid for pid, command in children(parent).items() if marker in command]
    assert len(found) == 1, f"{marker}: {children(parent)}"
    return found[0]


def wait_for(what: str | Callable[[], str], check: Callable[[], T], timeout: float = 60.0) -> T:
    """Poll `check` until it returns something truthy; `what` (or what it returns) names
    what is awaited when it times out."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, (
            f"timed out waiting for {what if isinstance(what, str) else what()}"
        )
        time.sleep(0.3)
    return result


def process_state(pid: int) -> str:
    try:
        return next(
            line
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("State")
        )
    except OSError:
        return "gone"


def healthy(platform: Platform) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{platform.api}/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def case_completes(platform: Platform, key: str) -> None:
    """Submit a case, have the clerk approve it, wait for it to complete (test_run's steps).
    Each step is retried while the platform comes back (a restarted worker takes over)."""
    applicant = wait_for("sign-in", lambda: signed_in(platform, "applicant"))
    created = wait_for(
        "submission",
        lambda: accepted(
            platform.http.post(
                "/cases",
                json={"scenario": "newborn", "form": newborn_form()},
                headers={**applicant, "Idempotency-Key": key},
            )
        ),
    )
    case_id = created.json()["id"]
    platform.wait_case(applicant, case_id, len(INDEPENDENT_OF_REGISTRATION))
    clerk = wait_for("clerk sign-in", lambda: signed_in(platform, "clerk-public-security"))
    tasks = platform.http.get("/tasks?status=open", headers=clerk).json()
    (task,) = [t for t in tasks if t["case_id"] == case_id]
    for call, body in (("claim", {}), ("decision", {"decision": "approve"})):
        response = platform.http.post(f"/tasks/{task['id']}/{call}", json=body, headers=clerk)
        assert response.status_code == 200, response.text
    wait_for("completion", lambda: platform.case(applicant, case_id)["status"] == "completed")


def signed_in(platform: Platform, username: str) -> dict[str, str] | None:
    try:
        return platform.login(username)
    except (httpx.HTTPError, AssertionError):
        return None


def accepted(response: httpx.Response) -> httpx.Response | None:
    return response if response.status_code in (200, 201) else None


def test_each_component_killed_is_restarted_and_the_platform_serves_again(
    tmp_path: Path,
) -> None:
    platform = Platform(tmp_path)
    platform.start()
    try:
        for name, marker in COMPONENTS.items():
            before = len(platform.log.read_text())
            killed = component_pid(platform.process.pid, marker)
            os.kill(killed, signal.SIGKILL)
            wait_for(
                lambda k=killed: (
                    f"the restart after killing {k} ({process_state(k)}): "
                    f"{children(platform.process.pid)}"
                ),
                lambda n=name: f"{n} restarted" in platform.log.read_text(),
            )
            out = platform.log.read_text()[before:]
            assert f"{name} stopped (killed by SIGKILL); restarting in 1 s" in out, out
            assert component_pid(platform.process.pid, marker) != killed
            wait_for("/healthz", lambda: healthy(platform))
            out = platform.log.read_text()[before:]
            assert out.count(" stopped (") == 1, out  # the others went on
        # the worker and the API, restarted themselves, reconnect to the restarted dev server
        case_completes(platform, "after-every-kill")
        assert platform.log.read_text().count(" stopped (") == len(COMPONENTS)
        assert platform.process.poll() is None
    finally:
        stopped = platform.ctrl_c()
    assert "restart" not in stopped, stopped  # nothing is restarted while stopping
    assert not any(noise in stopped for noise in NOISE), stopped
    assert not port_open(platform.api) and not port_open(platform.temporal)
