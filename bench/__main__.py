"""Benchmark (not a test): onego's API path against a raw Temporal workflow.

    .venv/bin/python -m bench [--cases N] [--rounds R] [--concurrency C] [--warmup W]
                              [--codec on|off|both]

In one process, against one Temporal dev server on a SQLite file (WAL, synchronous=NORMAL):

(b) raw: a workflow with the newborn scenario's activity graph (the same ten items and
    dependency edges) and no-op activities, started with `client.start_workflow`;
(a) onego: newborn cases with every item automatic and zero-latency simulated departments,
    submitted through the API code path (httpx against the ASGI app, lifespan included:
    login, `POST /api/v1/cases`), run by the real workers on a SQLite read model.

Both sides are set up side by side and warmed up; then N cases per side run in R rounds that
alternate (b) and (a), with at most C in flight, so that a machine whose speed drifts (a VM)
weighs on both alike. A round's wall time runs from its first submit to its last case
completed. Each round's ratio is printed, then each side's totals, and as the last line
`ratio <cases/s of (a) / cases/s of (b)>` over all rounds.

`--codec` (default on, as onego runs): (a)'s Temporal client seals every payload with the
payload codec (core/codec.py, SM4-GCM); `off` runs (a) with plain payloads; `both` runs the
two as two sides of one run, printing each one's ratio and CPU per case and the codec's cost.
The raw workflow (b) always has plain payloads.

Before all that, the submit latency section (bench/latency.py, the embedded shape: the API
and the worker as processes of their own): p50 and p99 of `POST /api/v1/cases` in an open
loop at half the sustainable rate for `--latency-seconds` (60), beside a bare
`client.start_workflow` at the same rate, and the goal's PASS or FAIL. With `--shape scaled`
it runs that section alone, for both shapes (embedded, and scaled: PostgreSQL, two API
processes, the workers split by department), and prints cases/s and submit p99 side by side.
"""

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from api import create_app
from bench import GraphInput, RawGraphWorkflow, latency, noop
from bench.stack import SHAPES, all_automatic, automatic_catalog, temporal_server, with_converter
from catalog.loader import get_catalog
from catalog.models import ScenarioSpec
from domain.statuses import CaseStatus
from runtime.payloads import plain_converter
from runtime.settings import Settings
from security.codec import sealed_converter
from security.keyring import DataKey, KeyRing
from store.db import create_schema, make_engine
from store.models import Case, Role
from store.users import add_user
from worker import department_worker, workflow_worker
from workflows import case_workflow_id
from workflows.models import ScenarioResult

SCENARIO = "newborn"
APPLICANT, PASSWORD = "bench-applicant", "bench-password"
WORKFLOW_EXECUTOR_THREADS = 16  # as worker.py runs it
RunCase = Callable[[], Awaitable[None]]  # runs one case to its end
CASE_TIMEOUT = 600.0  # seconds: a case that never ends fails the run instead of hanging it


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def server_pid() -> int | None:
    """The Temporal dev server this process started (Linux /proc), for its CPU time."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" ", 1)
        except OSError:
            continue
        comm, _, fields = rest.rpartition(") ")
        if comm == "(temporal" and int(fields.split()[1]) == os.getpid():
            return int(pid)
    return None


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process (0 if unknown)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(") ")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    """The figures of one measured run."""

    cases: int
    seconds: float
    latencies: list[float]
    cpu_here: float  # CPU seconds of this process (client, API, workers)
    cpu_server: float  # CPU seconds of the Temporal dev server

    @property
    def rate(self) -> float:
        return self.cases / self.seconds

    @classmethod
    def total(cls, runs: "list[Run]") -> "Run":
        """The runs of one side taken together."""
        return cls(
            sum(r.cases for r in runs),
            sum(r.seconds for r in runs),
            [latency for r in runs for latency in r.latencies],
            sum(r.cpu_here for r in runs),
            sum(r.cpu_server for r in runs),
        )

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]

    def line(self, label: str) -> str:
        return (
            f"{label}: {self.cases} cases in {self.seconds:.2f} s = {self.rate:.1f} cases/s; "
            f"case latency p50 {self.percentile(50) * 1000:.0f} ms, "
            f"p95 {self.percentile(95) * 1000:.0f} ms; CPU per case: "
            f"{self.cpu_here / self.cases * 1000:.0f} ms here, "
            f"{self.cpu_server / self.cases * 1000:.0f} ms in the Temporal server"
        )


async def drive(case: RunCase, count: int, concurrency: int) -> Run:
    """Run `count` cases with at most `concurrency` in flight; time each and the whole."""
    server = server_pid()
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one() -> None:
        async with gate:
            started = time.perf_counter()
            try:
                await asyncio.wait_for(case(), CASE_TIMEOUT)
            except TimeoutError:
                raise RuntimeError(f"a case did not end within {CASE_TIMEOUT:.0f} s") from None
            latencies.append(time.perf_counter() - started)

    cpu_here, cpu_server = time.process_time(), cpu_seconds(server)
    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return Run(
        count,
        time.perf_counter() - started,
        latencies,
        time.process_time() - cpu_here,
        cpu_seconds(server) - cpu_server,
    )


@asynccontextmanager
async def raw_side(client: Client, spec: ScenarioSpec) -> AsyncIterator[RunCase]:
    """(b) The scenario's activity graph as a raw workflow with no-op activities."""
    graph = GraphInput(requires={item.code: item.requires for item in spec.items})
    task_queue = f"bench-raw-{uuid.uuid4().hex[:8]}"

    async def case() -> None:
        handle = await client.start_workflow(
            RawGraphWorkflow.run, graph, id=f"{task_queue}-{uuid.uuid4()}", task_queue=task_queue
        )
        done = await handle.result()
        assert len(done) == len(spec.items), done

    async with Worker(
        client, task_queue=task_queue, workflows=[RawGraphWorkflow], activities=[noop]
    ):
        yield case


@asynccontextmanager
async def onego_side(client: Client, folder: Path, spec: ScenarioSpec) -> AsyncIterator[RunCase]:
    """(a) Newborn cases through the API code path, run by onego's own workers; afterwards,
    checks that the read model holds every case it ran as completed. Each side has task
    queues of its own (two sides may run side by side, with and without the codec)."""
    tag = uuid.uuid4().hex[:8]
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=folder / "data",
        database_url=f"sqlite:///{folder / 'data' / 'onego.db'}",
        catalog_dir=automatic_catalog(folder / "catalog", spec),
        scenario_task_queue=f"bench-scenarios-{tag}",
        department_queue_prefix=f"bench-{tag}-dept-",
        secret_key=uuid.uuid4().hex,
        sim_latency_ms=0,
        sim_failure_rate=0.0,
    )
    engine = make_engine(settings.resolved_database_url)
    create_schema(engine)
    with Session(engine) as session:
        add_user(session, APPLICANT, PASSWORD, Role.applicant)
    app = create_app(settings, temporal=client)
    ran: list[str] = []  # the cases run to completion

    async with AsyncExitStack() as stack:
        executor = stack.enter_context(ThreadPoolExecutor(max_workers=WORKFLOW_EXECUTOR_THREADS))
        workers = [
            workflow_worker(
                client,
                engine,
                executor,
                settings.scenario_task_queue,
                sandboxed=settings.workflow_sandbox,  # as a deployment runs them
            )
        ]
        workers += [
            department_worker(client, department, engine, settings, read_model=engine)
            for department in sorted(get_catalog().departments)
        ]
        for worker in workers:
            await stack.enter_async_context(worker)
        await stack.enter_async_context(app.router.lifespan_context(app))
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://onego")
        )
        login = await http.post(
            "/api/v1/auth/token", data={"username": APPLICANT, "password": PASSWORD}
        )
        login.raise_for_status()
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        form_schema = await http.get(f"/api/v1/scenarios/{SCENARIO}/form")
        form_schema.raise_for_status()
        body = {"scenario": SCENARIO, "form": form_schema.json()["examples"][0]}

        async def case() -> None:
            response = await http.post(
                "/api/v1/cases", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
            )
            if response.status_code != 201:
                raise RuntimeError(f"POST /cases: {response.status_code} {response.text}")
            handle = client.get_workflow_handle(
                case_workflow_id(response.json()["id"]), result_type=ScenarioResult
            )
            result = await handle.result()
            if result.status is not CaseStatus.completed:
                raise RuntimeError(f"case {result.case_id} ended {result.status}: {result.reason}")
            ran.append(result.case_id)

        yield case

    with Session(engine) as session:
        completed = session.exec(
            select(func.count()).select_from(Case).where(Case.status == CaseStatus.completed)
        ).one()
    engine.dispose()
    if completed != len(ran):
        raise RuntimeError(f"the read model holds {completed} completed cases, not {len(ran)}")


def quiet_runtime() -> Runtime:
    """A Temporal runtime whose core warnings (e.g. slow workflow tasks under load) go to
    Python logging on stderr, so that stdout holds the figures alone."""
    logger = logging.getLogger("bench.temporal")
    forwarding = LogForwardingConfig(logger=logger, append_log_fields_to_message=False)
    return Runtime(
        telemetry=TelemetryConfig(logging=LoggingConfig(filter="WARN", forwarding=forwarding))
    )


async def main(args: argparse.Namespace) -> None:
    """The submit latency section, then the ratio (its last line stays last); or, with
    `--shape scaled`, the latency section for both shapes side by side."""
    names = ["embedded", "scaled"] if args.shape == "scaled" else ["embedded"]
    results = []
    for name in names:
        results.append(await latency.measure(SHAPES[name], args.latency_seconds, latency.PROBE))
        print("\n".join(results[-1].lines()), flush=True)
    if args.shape == "scaled":
        print("\n".join(latency.side_by_side(results)), flush=True)
    else:
        await ratio(args)


async def ratio(args: argparse.Namespace) -> None:
    """(a) onego against (b) raw, in alternating rounds."""
    spec = get_catalog().spec(SCENARIO)
    assert spec is not None
    spec = all_automatic(spec)
    onego_sides = {
        "on": ["onego"],
        "off": ["onego codec off"],
        "both": ["onego codec off", "onego"],
    }[args.codec]
    sides: dict[str, list[Run]] = {name: [] for name in ["raw", *onego_sides]}
    with tempfile.TemporaryDirectory(prefix="onego-bench-") as tmp:
        folder = Path(tmp)
        async with (
            temporal_server(folder, pydantic_data_converter, quiet_runtime()) as env,
            AsyncExitStack() as stack,
        ):
            cases = {"raw": await stack.enter_async_context(raw_side(env.client, spec))}
            for name in onego_sides:
                client = with_converter(env.client, converter_of(name))
                (folder / name.replace(" ", "-")).mkdir()
                side = onego_side(client, folder / name.replace(" ", "-"), spec)
                cases[name] = await stack.enter_async_context(side)
            for name, case in cases.items():
                progress(f"{name}: {args.warmup} warm-up cases")
                await drive(case, args.warmup, args.concurrency)
            for index, count in enumerate(split(args.cases, args.rounds), 1):
                for name, case in cases.items():
                    progress(f"round {index}/{args.rounds}: {count} {name} cases")
                    sides[name].append(await drive(case, count, args.concurrency))
    print(
        f"{SCENARIO}: {len(spec.items)} items, all automatic; {args.cases} cases per side in "
        f"{args.rounds} alternating rounds, {args.concurrency} in flight, {args.warmup} warm-up "
        f"cases first; {os.cpu_count()} CPUs; one dev server on a SQLite file "
        "(WAL, synchronous=NORMAL)"
    )
    raw_total = Run.total(sides["raw"])
    print(raw_total.line("(b) raw workflow, no-op activities "))
    totals = {name: Run.total(sides[name]) for name in onego_sides}
    for name in onego_sides:
        rounds = ", ".join(
            f"{a.rate / b.rate:.3f}" for a, b in zip(sides[name], sides["raw"], strict=True)
        )
        label = "(a) onego through the API" + (", codec off" if name != "onego" else "")
        print(totals[name].line(f"{label:<35}"))
        print(f"{name}: ratio per round: {rounds}; ratio {totals[name].rate / raw_total.rate:.3f}")
    if args.codec == "both":
        on, off = totals["onego"], totals["onego codec off"]
        here = (on.cpu_here / on.cases - off.cpu_here / off.cases) * 1000
        server = (on.cpu_server / on.cases - off.cpu_server / off.cases) * 1000
        print(
            f"codec cost: {here:.1f} ms CPU per case here, {server:.1f} ms in the server; "
            f"cases/s with the codec {on.rate / off.rate:.3f} of without"
        )
    # the last line, as before: onego as it runs (codec on unless --codec off)
    print(f"ratio {totals[onego_sides[-1]].rate / raw_total.rate:.3f}")


def converter_of(side: str) -> DataConverter:
    """The sealed converter (a key ring of this run alone) or plain payloads."""
    if side.endswith("codec off"):
        return plain_converter
    key = DataKey.new("SM4-GCM")
    return sealed_converter(KeyRing([key], key.id))


def split(total: int, parts: int) -> list[int]:
    """`total` cases in `parts` rounds as even as can be."""
    return [total // parts + (index < total % parts) for index in range(parts)]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=300, help="cases per side (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--concurrency", type=int, default=20, help="cases in flight (20)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up cases per side (5)")
    parser.add_argument(
        "--codec",
        choices=["on", "off", "both"],
        default="on",
        help="(a)'s payload codec: on (default), off, or both sides in one run",
    )
    parser.add_argument(
        "--shape",
        choices=sorted(SHAPES),
        default="embedded",
        help="embedded (default): submit latency, then the ratio; scaled: submit latency and "
        "cases/s of both shapes side by side",
    )
    parser.add_argument(
        "--latency-seconds", type=float, default=60.0, help="open loop of the latency section (60)"
    )
    args = parser.parse_args(argv)
    if (
        args.rounds < 1
        or args.cases < 2 * args.rounds
        or args.concurrency < 1
        or args.warmup < 0
        or args.latency_seconds <= 0
    ):
        parser.error(
            "--rounds must be at least 1, --cases at least 2 per round, --concurrency at "
            "least 1, --warmup >= 0, --latency-seconds > 0"
        )
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
