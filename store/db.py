"""Engine and sessions for SQLite (embedded default) and PostgreSQL (scaled)."""

import fcntl
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Table, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine

import store.models  # noqa: F401  (registers the tables)
from runtime.filemodes import private_file

if TYPE_CHECKING:
    from runtime.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class PoolSizing:
    """The connection pool of one process, set explicitly: `size` pooled connections,
    `overflow` more for a while, `timeout_s` the wait for one before SQLAlchemy's
    TimeoutError, and SQLite's busy timeout. The API's come from its settings and are sized
    with its thread limiter and database gate (core/backpressure.py, which answers those
    timeouts 503); the defaults serve the workers and the CLI."""

    size: int = 20
    overflow: int = 10
    timeout_s: float = 30.0
    busy_timeout_s: float = 30.0

    @classmethod
    def of(cls, settings: "Settings") -> "PoolSizing":
        return cls(
            settings.db_pool_size,
            settings.db_max_overflow,
            settings.db_pool_timeout_s,
            settings.sqlite_busy_timeout_s,
        )


def make_engine(url: str, traced: bool = False, pool: PoolSizing | None = None) -> Engine:
    """An engine for `url`; SQLite gets WAL, NORMAL sync and a busy timeout.

    Bound parameters (form values) never appear in SQL logs or error messages
    (`hide_parameters`); `traced` engines make an OpenTelemetry span per statement.
    """
    pool = pool or PoolSizing()
    sizing: dict[str, Any] = {
        "pool_size": pool.size,
        "max_overflow": pool.overflow,
        "pool_timeout": pool.timeout_s,
    }
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            # owner-only from the start: SQLite gives the -wal and -shm files its mode
            private_file(Path(path))
            # a file: SQLAlchemy's QueuePool, sized as for PostgreSQL (memory: one connection)
            sizing["poolclass"] = QueuePool
        else:
            sizing = {}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": pool.busy_timeout_s},
            hide_parameters=True,
            **sizing,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **sizing)
    if traced:
        _trace_statements(engine)
    return engine


def _trace_statements(engine: Engine) -> None:
    """A span per SQL statement of `engine` (statement text only: values are bound). Spans go
    to whatever tracer provider the process installed (observability/telemetry.py), which
    scrubs them; the store knows only OpenTelemetry's API, so it sits below observability."""
    from opentelemetry import trace
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    usage = get_meter("onego.sqlalchemy").create_up_down_counter(
        "db.client.connections.usage", unit="connections"
    )
    EngineTracer(trace.get_tracer("opentelemetry.instrumentation.sqlalchemy"), engine, usage)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


MIGRATIONS = Path(__file__).parent / "migrations"
# The first revision's schema is what `create_all` made before there were migrations: such a
# database is stamped with it, then upgraded like any other.
INITIAL_REVISION = "0001"
MIGRATION_LOCK = 0x6F6E65676F  # "onego": the PostgreSQL advisory lock of a migration


def alembic_config() -> Config:
    """The migrations' configuration, without alembic.ini (that one is for the CLI)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def create_schema(engine: Engine) -> None:
    """Bring the database to the latest migration (idempotent). Processes starting together
    (the API and the workers) take turns. One connection does it all (a pool of one works)."""
    # quiet starts: Alembic's INFO lines ("Context impl SQLiteImpl") at every start say nothing
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with _migration_lock(engine) as connection, connection.begin():
        config = alembic_config()
        config.attributes["connection"] = connection
        tables = inspect(connection).get_table_names()
        if "case" in tables and "alembic_version" not in tables:
            command.stamp(config, INITIAL_REVISION)
        command.upgrade(config, "head")


def create_tables(engine: Engine, *tables: Table) -> None:
    """Create those of `tables` that are missing (a database that is not the read model, such
    as a span store of its own), taking the same turns as `create_schema`: processes starting
    together would each find a table missing, and the second CREATE would fail."""
    with _migration_lock(engine) as connection, connection.begin():
        for table in tables:
            table.create(connection, checkfirst=True)


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection, outside any transaction, held while this process migrates."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            connection.commit()  # the lock is the connection's, the migration its own
            try:
                yield connection
            finally:
                connection.rollback()
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        with engine.connect() as connection:
            yield connection
        return
    private_file(Path(f"{database}.lock"))
    with open(f"{database}.lock", "a") as lock:  # SQLite: a file lock beside the database
        fcntl.flock(lock, fcntl.LOCK_EX)  # before connecting: the first connect sets WAL
        with engine.connect() as connection:
            yield connection


def commit_keeping_values(session: Session) -> None:
    """Commit, leaving the session's objects their values instead of expiring them: nothing
    to reload, and a page can still render them once the session has closed."""
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def once_per_dialect(build: Callable[[Connection], T]) -> Callable[[Connection], T]:
    """`build(connection)` made at the first call on each dialect and kept: a Core statement
    built once, which a hot path then executes with its values (building one costs more than
    running it)."""
    built: dict[str, T] = {}

    def get(connection: Connection) -> T:
        name = connection.dialect.name
        if name not in built:
            built[name] = build(connection)
        return built[name]

    return get


def insert(bind: Engine | Connection, table: Any) -> sqlite.Insert | postgresql.Insert:
    """An INSERT into `table` (a model or a Table) in `bind`'s dialect, which both databases
    extend with `on_conflict_do_nothing` / `on_conflict_do_update`."""
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
