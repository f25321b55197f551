"""A workflow worker process of a simulation run: `worker.workflow_worker` on the run's
time-skipping server and read model, until SIGTERM.

The read-model writes (local activities) are most of a case's cost and hold Python's GIL,
so a run spreads the scenario workflows over several such processes (they poll the same
task queue; each keeps the cases it started in its cache). Started by simulation/run.py:

    python -m simulation.worker --address 127.0.0.1:PORT --database FILE --task-queue QUEUE
"""

import argparse
import asyncio
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from catalog.loader import get_catalog
from runtime.settings import get_settings
from security.codec import data_converter
from store.db import make_engine
from worker import workflow_worker

READY = "simulation-worker-ready"
# SQLite takes one writer at a time: more threads only wait on its lock (1-2 measured best).
READ_MODEL_THREADS = 2


def quiet_runtime() -> Runtime:
    """Temporal's own warnings would tear the progress bar; errors still show."""
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )


def fast_sqlite(engine: Engine) -> Engine:
    """A run's database is thrown away (or kept as a record of the run): no fsync."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    return engine


async def serve(address: str, database: Path, task_queue: str) -> None:
    client = await Client.connect(  # the parent's key ring comes in DATA_KEYS
        address, data_converter=data_converter(get_settings()), runtime=quiet_runtime()
    )
    engine = fast_sqlite(make_engine(f"sqlite:///{database}"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    with ThreadPoolExecutor(max_workers=READ_MODEL_THREADS) as executor:
        # unsandboxed, as a deployment runs them by default (WORKFLOW_SANDBOX)
        catalog = get_catalog(None)
        async with workflow_worker(client, engine, executor, task_queue, catalog, sandboxed=False):
            print(READY, flush=True)
            await stop.wait()
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True, help="host:port of the test server")
    parser.add_argument("--database", required=True, type=Path, help="the run's read model")
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.address, args.database, args.task_queue))
    # The worker has stopped and its writes are committed. Leave without the interpreter's
    # finalization, during which Temporal's runtime threads may still call into Python.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
