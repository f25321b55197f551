"""`onego run`, the embedded default, as a user runs it: Ctrl-C in its terminal stops every
component cleanly, and the next run finds the case where it was and finishes it."""

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from store.users import DEMO_PASSWORD
from tests.helpers import INDEPENDENT_OF_REGISTRATION, newborn_form

ONEGO = Path(sys.executable).parent / "onego"

NOISE = ("Traceback", "Worker cancelled", "level=WARN", "level=ERROR")
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Platform:
    """`onego run` in a terminal of its own (a new session: its own foreground group)."""

    def __init__(self, data: Path):
        self.temporal, self.api = free_port(), free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CATALOG_DIR")},
            "DATA_DIR": str(data),
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal}",
            "TEMPORAL_UI_PORT": str(free_port()),
            "API_PORT": str(self.api),
        }
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.api}/api/v1", timeout=30)

    def start(self) -> None:
        # Output to a file, not a pipe: nobody reads while the test runs, and a full pipe
        # would block the components' logging.
        self.log = Path(self.env["DATA_DIR"]) / "onego-run.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [str(ONEGO), "run"],
                cwd=self.env["DATA_DIR"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while "stops everything" not in self.log.read_text():  # the banner's last line
            assert self.process.poll() is None, f"onego run ended: {self.log.read_text()}"
            assert time.monotonic() < deadline, f"onego run not ready: {self.log.read_text()}"
            time.sleep(0.2)

    def ctrl_c(self) -> str:
        """SIGINT to the foreground process group, as the terminal sends it; the output
        printed from then on."""
        before = len(self.log.read_text())
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout=60)
        out = self.log.read_text()[before:]
        assert self.process.returncode == 0, out
        return out

    def login(self, username: str) -> dict[str, str]:
        response = self.http.post(
            "/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def case(self, headers: dict[str, str], case_id: str) -> dict:
        response = self.http.get(f"/cases/{case_id}", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_case(self, headers: dict[str, str], case_id: str, done: int) -> dict:
        deadline = time.monotonic() + 60
        while (case := self.case(headers, case_id))["progress"]["done"] < done:
            assert time.monotonic() < deadline, case
            time.sleep(0.3)
        return case


def private_modes(data: Path) -> dict[str, str]:
    """Files and folders under `data` that others than the owner may read (name: mode)."""
    return {
        str(path.relative_to(data)): oct(stat.S_IMODE(path.stat().st_mode))
        for path in [data, *data.rglob("*")]
        if not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) & 0o077
    }


def test_ctrl_c_stops_everything_and_the_next_run_finds_the_case(tmp_path: Path) -> None:
    platform = Platform(tmp_path)
    tmp_path.chmod(0o755)  # as `mkdir data` leaves it under the usual umask
    platform.start()
    try:
        # the data folder, the read model and the dev server's temporal.db: owner-only
        assert {"onego.db", "temporal.db"} <= {p.name for p in tmp_path.iterdir()}
        assert private_modes(tmp_path) == {}
        started = platform.log.read_text()
        assert "Context impl" not in started and "Will assume" not in started  # quiet start
        assert f"state is kept in {tmp_path.resolve()}" in started
        applicant = platform.login("applicant")
        created = platform.http.post(
            "/cases",
            json={"scenario": "newborn", "form": newborn_form()},
            headers={**applicant, "Idempotency-Key": "before-the-restart"},
        )
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        before = platform.wait_case(applicant, case_id, len(INDEPENDENT_OF_REGISTRATION))
    finally:
        stopped = platform.ctrl_c()
    assert not any(noise in stopped for noise in NOISE), stopped
    assert not port_open(platform.api) and not port_open(platform.temporal)

    platform.start()
    try:
        applicant = platform.login("applicant")
        assert platform.case(applicant, case_id) == before  # nothing moved while it was off
        clerk = platform.login("clerk-public-security")
        tasks = platform.http.get("/tasks?status=open", headers=clerk).json()
        (task,) = [t for t in tasks if t["case_id"] == case_id]
        for call, body in (("claim", {}), ("decision", {"decision": "approve"})):
            response = platform.http.post(f"/tasks/{task['id']}/{call}", json=body, headers=clerk)
            assert response.status_code == 200, response.text
        platform.wait_case(applicant, case_id, 10)
        deadline = time.monotonic() + 30  # the case's own row is written after its items'
        while (after := platform.case(applicant, case_id))["status"] == "running":
            assert time.monotonic() < deadline, after
            time.sleep(0.3)
        assert after["status"] == "completed"
    finally:
        platform.ctrl_c()
