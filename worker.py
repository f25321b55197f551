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
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

import workflows
from activities.department import department_activities
from activities.read_model import ReadModelActivities
from adapters import config as adapters
from adapters.simulated import ReadyAt
from cases.notifier import SmtpNotifier, run_dispatcher
from catalog.loader import Catalog, get_catalog
from documents.records import Forgetting
from documents.vault import store_of
from domain.queues import SCENARIO_TASK_QUEUE
from observability import telemetry
from runtime.heap import freeze_startup_heap
from runtime.settings import Settings, get_settings
from runtime.temporal import connect
from store import retention, sealed
from store.db import create_schema, make_engine
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
    sandboxed: bool = True,
) -> Worker:
    """The worker of scenario workflows and their read-model local activities; `sandboxed`:
    the workflows in Temporal's sandbox (the tests' choice; a deployment's is the
    WORKFLOW_SANDBOX setting, off by default)."""
    cache_workflow_bytecode()
    catalog = catalog or get_catalog()
    read_model = ReadModelActivities(engine, catalog.calendar, catalog)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ScenarioWorkflow],
        workflow_runner=SandboxedWorkflowRunner() if sandboxed else UnsandboxedWorkflowRunner(),
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
    catalog: Catalog | None = None,
    read_model: Engine | None = None,
) -> Worker:
    """The worker of one department's activities on its own task queue, the activities its
    items name in the catalog, performed by its configured adapter (`ready`: when the
    simulated back-end issues, if not at once). Given the `read_model`, each item performed
    is written done there by its activity (else the workflow writes it)."""
    adapter = adapters.adapter_for(department, engine, settings, ready)
    catalog = catalog or get_catalog(settings.catalog_dir)
    writer = ReadModelActivities(read_model, catalog.calendar, catalog) if read_model else None
    return Worker(
        client,
        task_queue=settings.queues.department(department),
        activities=department_activities(
            catalog, department, adapter, writer.write_items if writer else None
        ),
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
            workers = [
                department_worker(client, d, engine, settings, read_model=engine)
                for d in departments
            ]
            if workflows:
                workers.append(
                    workflow_worker(
                        client,
                        engine,
                        executor,
                        settings.scenario_task_queue,
                        sandboxed=settings.workflow_sandbox,
                    )
                )
            logging.info("serving %s", [w.task_queue for w in workers])
            tasks = [w.run() for w in workers]
            if workflows and settings.smtp_host:
                tasks.append(run_dispatcher(engine, SmtpNotifier.from_settings(settings)))
            if workflows:  # the daily retention run (store/retention.py)
                forgetting = Forgetting(store_of(settings))  # documents/
                tasks.append(retention.run_daily(engine, retention.period_of(settings), forgetting))
            freeze_startup_heap()  # a full collection scans only what cases made
            await asyncio.gather(*tasks)
    finally:
        telemetry.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    settings = get_settings()
    known = sorted(get_catalog(settings.catalog_dir).departments)
    parser.add_argument(
        "--department",
        action="append",
        choices=known,
        help="serve only this department's task queue (repeatable)",
    )
    parser.add_argument("--workflows-only", action="store_true")
    args = parser.parse_args(argv)
    if args.department:
        departments, workflows = args.department, False
    elif args.workflows_only:
        departments, workflows = [], True
    else:
        departments, workflows = known, True
    try:
        adapters.check(settings, known, serving=departments)
    except adapters.AdapterConfigError as error:
        parser.error(str(error))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    try:
        asyncio.run(run(departments, workflows, settings))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
