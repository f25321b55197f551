"""Runs the scenario workflow worker and the department activity workers.

python worker.py                       # workflows + every department (embedded default)
python worker.py --department tax      # one department's task queue alone
python worker.py --workflows-only      # the scenario workflows and read-model writers
"""

import argparse
import asyncio
import compileall
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import Worker

import workflows
from activities.read_model import ReadModelActivities
from activities.registry import DEPARTMENT_ACTIVITIES
from activities.resilience import CircuitBreaker, ResilientDepartment
from activities.simulated import ReadyAt, SimulatedDepartment
from cases.notifier import SmtpNotifier, run_dispatcher
from catalog.loader import Catalog, get_catalog
from observability import telemetry
from runtime.settings import Settings, get_settings
from runtime.temporal import connect
from store import retention, sealed
from store.db import create_schema, make_engine
from workflows.queues import SCENARIO_TASK_QUEUE
from workflows.scenario import ScenarioWorkflow


def cache_workflow_bytecode() -> bool:
    """Write the bytecode of the workflows package if it is missing or stale.

    The workflow sandbox imports that package afresh for every workflow run. Without cached
    bytecode (PYTHONDONTWRITEBYTECODE=1, usual in containers) each run compiles it from
    source: about 5 % of a busy worker's CPU. compileall writes regardless of that setting;
    a read-only checkout only loses the saving (False).
    """
    return compileall.compile_dir(Path(workflows.__file__).parent, quiet=2)


def workflow_worker(
    client: Client,
    engine: Engine,
    executor: ThreadPoolExecutor,
    task_queue: str = SCENARIO_TASK_QUEUE,
    catalog: Catalog | None = None,
) -> Worker:
    """The worker of scenario workflows and their read-model local activities."""
    cache_workflow_bytecode()
    catalog = catalog or get_catalog()
    read_model = ReadModelActivities(engine, catalog.calendar, catalog)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ScenarioWorkflow],
        activities=[read_model.record_item, read_model.record_items, read_model.record_case],
        activity_executor=executor,
        interceptors=telemetry.tracing_interceptors(client),
    )


def department_worker(
    client: Client,
    department: str,
    engine: Engine,
    settings: Settings,
    ready: ReadyAt | None = None,
) -> Worker:
    """The worker of one department's activities on its own task queue (`ready`: when the
    simulated back-end issues, if not at once)."""
    adapter = ResilientDepartment(
        SimulatedDepartment(engine, settings.sim_latency_ms, settings.sim_failure_rate, ready),
        department,
        timeout=settings.department_timeout_s,
        breaker=CircuitBreaker(settings.breaker_failures, settings.breaker_reset_s),
    )
    activities = DEPARTMENT_ACTIVITIES[department](adapter)
    return Worker(
        client,
        task_queue=settings.queues.department(department),
        activities=activities.activities(),
        interceptors=telemetry.tracing_interceptors(client),
    )


async def run(departments: list[str], workflows: bool, settings: Settings) -> None:
    telemetry.setup(settings, "worker")
    client = await connect(settings)
    sealed.use_settings(settings)  # the read model's sealed columns
    engine = make_engine(settings.resolved_database_url, traced=settings.otel_sql_spans)
    create_schema(engine)
    try:
        with ThreadPoolExecutor(max_workers=16) as executor:
            workers = [department_worker(client, d, engine, settings) for d in departments]
            if workflows:
                workers.append(
                    workflow_worker(client, engine, executor, settings.scenario_task_queue)
                )
            logging.info("serving %s", [w.task_queue for w in workers])
            tasks = [w.run() for w in workers]
            if workflows and settings.smtp_host:
                tasks.append(run_dispatcher(engine, SmtpNotifier.from_settings(settings)))
            if workflows:  # the daily retention run (store/retention.py)
                tasks.append(retention.run_daily(engine, retention.period_of(settings)))
            await asyncio.gather(*tasks)
    finally:
        telemetry.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--department",
        action="append",
        choices=sorted(DEPARTMENT_ACTIVITIES),
        help="serve only this department's task queue (repeatable)",
    )
    parser.add_argument("--workflows-only", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    if args.department:
        departments, workflows = args.department, False
    elif args.workflows_only:
        departments, workflows = [], True
    else:
        departments, workflows = sorted(DEPARTMENT_ACTIVITIES), True
    try:
        asyncio.run(run(departments, workflows, get_settings()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
