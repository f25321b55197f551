"""Engine and sessions for SQLite (embedded default) and PostgreSQL (scaled)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, create_engine

import store.models  # noqa: F401  (registers the tables)


def make_engine(url: str, traced: bool = False) -> Engine:
    """An engine for `url`; SQLite gets WAL, NORMAL sync and a busy timeout.

    Bound parameters (form values) never appear in SQL logs or error messages
    (`hide_parameters`); `traced` engines make an OpenTelemetry span per statement.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
        )
    if traced:
        from core.telemetry import instrument_engine

        instrument_engine(engine)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_schema(engine: Engine) -> None:
    """Create missing tables (idempotent)."""
    SQLModel.metadata.create_all(engine)


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


def insert(bind: Engine | Connection, table: Any) -> sqlite.Insert | postgresql.Insert:
    """An INSERT into `table` (a model or a Table) in `bind`'s dialect, which both databases
    extend with `on_conflict_do_nothing` / `on_conflict_do_update`."""
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
