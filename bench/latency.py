"""Benchmark (not a test): submission latency under load, against a bare Temporal start.

    .venv/bin/python -m bench.latency [--shape embedded|scaled] [--seconds 60] [--rate R]

Starts a Temporal dev server and the platform in processes of their own (bench/stack.py:
`embedded` as `onego run` runs it, or `scaled`), every newborn item automatic, spans sent to
the span store as a deployment's default is, then:

1. the sustainable rate: after a few warm-up cases, `--probe` newborn cases with 10 in
   flight through the API (httpx against uvicorn: `POST /api/v1/cases`, then the case's
   workflow result), timed from the first submit to the last case completed: cases/s;
2. open loop at half that rate (or `--rate`) for `--seconds`: each `POST /api/v1/cases` is
   sent on its schedule, whether or not the earlier ones were answered; its latency runs from
   its scheduled time to its answer (so a load generator that falls behind shows in the
   figures instead of hiding them). Afterwards it waits for those cases to complete;
3. the same schedule of bare `client.start_workflow` calls on the same server (a raw
   workflow with the same item graph, plain payloads, on a task queue no worker polls: the
   cost of a start alone, what the API path adds to is measured against it).

It prints p50 and p99 of both, and the goal beside them: p99 <= 2 x bare p99 + 20 ms, PASS
or FAIL (FAIL too when an answer was not a success). `python -m bench` runs this as a
section; `python -m bench --shape scaled` runs it for both shapes, side by side.
"""

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.service import RPCError

from bench import GraphInput, RawGraphWorkflow
from bench.stack import SHAPES, Platform, Shape, plain, platform, temporal_server
from catalog.models import ScenarioSpec
from domain.statuses import CaseStatus
from security.codec import sealed_converter
from security.keyring import DataKey, KeyRing
from workflows import case_workflow_id
from workflows.models import ScenarioResult

Send = Callable[[], Awaitable[str | None]]  # one request: None if it succeeded, else what failed
GOAL_FACTOR, GOAL_SLACK_S = 2.0, 0.020  # the goal: p99 <= 2 x bare p99 + 20 ms
PROBE_CONCURRENCY = 10
WARMUP = 5
PROBE = 60  # cases to find the sustainable rate
CASE_TIMEOUT = 300.0  # seconds: a case that never ends fails the run instead of hanging it


def progress(message: str) -> None:
    print(f"latency: {message}", file=sys.stderr, flush=True)


@dataclass
class Sample:
    """The answers of one open-loop run."""

    sent: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, successful answers
    failures: Counter[str] = field(default_factory=Counter)
    behind: float = 0.0  # seconds: the furthest a request left behind its schedule

    def percentile(self, p: int) -> float:
        """The p-th percentile of the successful answers' latencies, in seconds."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]

    def summary(self, succeeded: str) -> str:
        failed = ", ".join(f"{what}: {n}" for what, n in sorted(self.failures.items()))
        return (
            f"{self.sent} sent, {len(self.latencies)} {succeeded}"
            + (f" (failed: {failed})" if failed else "")
            + f"; p50 {ms(self.percentile(50))}, p99 {ms(self.percentile(99))}"
        )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


async def open_loop(send: Send, rate: float, seconds: float) -> Sample:
    """`rate` x `seconds` requests, the i-th sent at i / rate s, none waiting for another."""
    loop = asyncio.get_running_loop()
    sample = Sample()
    start = loop.time() + 0.05

    async def one(scheduled: float) -> None:
        sample.behind = max(sample.behind, loop.time() - scheduled)
        outcome = await send()
        if outcome is None:
            sample.latencies.append(loop.time() - scheduled)
        else:
            sample.failures[outcome] += 1

    tasks = []
    for index in range(max(1, round(rate * seconds))):
        scheduled = start + index / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        tasks.append(asyncio.create_task(one(scheduled)))
        sample.sent += 1
    await asyncio.gather(*tasks)
    return sample


class Refused(Exception):
    """A submission not answered 201: its status, or the error that kept it unanswered."""


class Submitter:
    """`POST /api/v1/cases` as the applicant, each with a key of its own, to the APIs in turn."""

    def __init__(self, clients: list[httpx.AsyncClient], headers: dict[str, str], body: dict):
        self.rotation = itertools.cycle(clients)
        self.headers = headers
        self.body = body

    async def case(self) -> str:
        """Submit one case; its id."""
        headers = {**self.headers, "Idempotency-Key": uuid.uuid4().hex}
        try:
            response = await next(self.rotation).post(
                "/api/v1/cases", json=self.body, headers=headers
            )
        except httpx.HTTPError as error:
            raise Refused(type(error).__name__) from error
        if response.status_code != 201:
            raise Refused(str(response.status_code))
        return str(response.json()["id"])

    def send(self, cases: list[str]) -> Send:
        """One submission for `open_loop`; the cases answered 201 are added to `cases`."""

        async def send() -> str | None:
            try:
                cases.append(await self.case())
            except Refused as refused:
                return str(refused)
            return None

        return send


def start_bare(client: Client, spec: ScenarioSpec) -> Send:
    """`client.start_workflow` of the raw graph workflow, on a task queue no worker polls."""
    graph = GraphInput(requires={item.code: item.requires for item in spec.items})
    queue = f"bench-bare-{uuid.uuid4().hex[:8]}"

    async def send() -> str | None:
        try:
            await client.start_workflow(
                RawGraphWorkflow.run, graph, id=f"{queue}-{uuid.uuid4()}", task_queue=queue
            )
        except RPCError as error:
            return f"rpc {error.status.name}"
        return None

    return send


async def complete(client: Client, case_id: str) -> bool:
    """Wait for the case's workflow; whether it completed."""
    handle = client.get_workflow_handle(case_workflow_id(case_id), result_type=ScenarioResult)
    result = await asyncio.wait_for(handle.result(), CASE_TIMEOUT)
    return result.status is CaseStatus.completed


async def completed(client: Client, cases: list[str]) -> int:
    """How many of the cases ran to completion (20 waited for at once)."""
    gate = asyncio.Semaphore(20)

    async def one(case_id: str) -> bool:
        async with gate:
            return await complete(client, case_id)

    return sum(await asyncio.gather(*(one(c) for c in cases)))


async def sustainable_rate(submitter: Submitter, client: Client, count: int) -> float:
    """Cases/s of `count` cases with PROBE_CONCURRENCY in flight, submit to completed."""
    gate = asyncio.Semaphore(PROBE_CONCURRENCY)
    loop = asyncio.get_running_loop()

    async def one() -> None:
        async with gate:
            case_id = await submitter.case()
            if not await complete(client, case_id):
                raise RuntimeError(f"case {case_id} did not complete")

    started = loop.time()
    await asyncio.gather(*(one() for _ in range(count)))
    return count / (loop.time() - started)


@dataclass
class Result:
    """The figures of one shape."""

    shape: Shape
    cases_per_s: float
    rate: float
    seconds: float
    api: Sample
    bare: Sample
    api_completed: int

    @property
    def goal(self) -> float:
        return GOAL_FACTOR * self.bare.percentile(99) + GOAL_SLACK_S

    @property
    def passed(self) -> bool:
        return not self.api.failures and self.api.percentile(99) <= self.goal

    def lines(self) -> list[str]:
        return [
            f"submit latency, {self.shape.describe()}:",
            f"  sustainable: {self.cases_per_s:.2f} cases/s (submit to completed, "
            f"{PROBE_CONCURRENCY} in flight); open loop at {self.rate:.2f}/s for "
            f"{self.seconds:.0f} s, sends at most {ms(self.api.behind)} and "
            f"{ms(self.bare.behind)} behind schedule",
            f"  POST /api/v1/cases : {self.api.summary('answered 201')}; "
            f"{self.api_completed} of those cases completed",
            f"  bare start_workflow: {self.bare.summary('started')}",
            f"  goal p99 <= {GOAL_FACTOR:.0f} x bare p99 + {ms(GOAL_SLACK_S)} = {ms(self.goal)}: "
            f"{'PASS' if self.passed else 'FAIL'} (p99 {ms(self.api.percentile(99))})",
        ]


def side_by_side(results: list[Result]) -> list[str]:
    """One row per shape: cases/s, submit p50 and p99, bare p99, the goal."""
    rows = [
        f"{'shape':<9} {'cases/s':>8} {'submit p50':>11} {'submit p99':>11} {'bare p99':>9}  goal"
    ]
    for r in results:
        rows.append(
            f"{r.shape.name:<9} {r.cases_per_s:>8.2f} {ms(r.api.percentile(50)):>11} "
            f"{ms(r.api.percentile(99)):>11} {ms(r.bare.percentile(99)):>9}  "
            f"{'PASS' if r.passed else 'FAIL'} (<= {ms(r.goal)})"
        )
    return rows


@asynccontextmanager
async def api_clients(urls: list[str]) -> AsyncIterator[list[httpx.AsyncClient]]:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, timeout=CASE_TIMEOUT, limits=limits)
            )
            for url in urls
        ]


async def measure_platform(
    running: Platform, seconds: float, probe: int, rate: float | None, shape: Shape
) -> Result:
    """Steps 1 to 3 of the module's description on a running platform."""
    async with api_clients(running.urls) as clients:
        submitter = Submitter(clients, running.headers, running.body)
        progress(f"{shape.name}: {WARMUP} warm-up cases, then {probe} to find the rate")
        await sustainable_rate(submitter, running.client, WARMUP)
        cases_per_s = await sustainable_rate(submitter, running.client, probe)
        rate = rate or cases_per_s / 2
        progress(f"{shape.name}: POST /api/v1/cases at {rate:.2f}/s for {seconds:.0f} s")
        cases: list[str] = []
        api = await open_loop(submitter.send(cases), rate, seconds)
        api_completed = await completed(running.client, cases)
    progress(f"{shape.name}: bare start_workflow at {rate:.2f}/s for {seconds:.0f} s")
    bare = await open_loop(start_bare(plain(running.client), running.spec), rate, seconds)
    return Result(shape, cases_per_s, rate, seconds, api, bare, api_completed)


async def measure(shape: Shape, seconds: float, probe: int, rate: float | None = None) -> Result:
    """Start a Temporal server and the platform of `shape`; measure; stop them."""
    key = DataKey.new("SM4-GCM")
    ring = KeyRing([key], key.id)
    with tempfile.TemporaryDirectory(prefix="onego-latency-") as tmp:
        folder = Path(tmp)
        progress(f"{shape.name}: starting the Temporal server and the platform")
        async with (
            temporal_server(folder, sealed_converter(ring)) as env,
            platform(env, ring, shape, folder / shape.name) as running,
        ):
            return await measure_platform(running, seconds, probe, rate, shape)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.latency",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("--shape", choices=sorted(SHAPES), default="embedded")
    parser.add_argument("--seconds", type=float, default=60.0, help="open loop (60 s)")
    parser.add_argument(
        "--probe", type=int, default=PROBE, help=f"cases to find the rate ({PROBE})"
    )
    parser.add_argument("--rate", type=float, help="submissions/s (default: half sustainable)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.probe < 1 or (args.rate is not None and args.rate <= 0):
        parser.error("--seconds, --probe and --rate must be positive")
    return args


if __name__ == "__main__":
    arguments = parse()
    result = asyncio.run(
        measure(SHAPES[arguments.shape], arguments.seconds, arguments.probe, arguments.rate)
    )
    print("\n".join(result.lines()), flush=True)
    # the figures are out: skip the interpreter's finalization, where a thread of the
    # Temporal runtime may still release the GIL and abort the process (as bench/burst.py)
    os._exit(0)
