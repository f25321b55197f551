"""The read model's schema comes from its Alembic migrations (store/migrations)."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from store.db import alembic_config, create_schema, make_engine
from store.models import User
from tests.conftest import DB_BACKENDS, postgres_schema

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def differences(engine: Engine) -> list[object]:
    """What autogenerate would still write: nothing when the migrations match the models."""
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_the_migrations_make_exactly_the_models_schema(engine: Engine) -> None:
    """On SQLite and PostgreSQL (the shared test databases are made by create_schema)."""
    assert revision(engine) == HEAD
    assert differences(engine) == []


@pytest.fixture(params=DB_BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each backend, this test's own."""
    if request.param == "sqlite":
        yield make_engine(f"sqlite:///{tmp_path / 'onego.db'}")
        return
    with postgres_schema() as engine:
        yield engine


def test_downgrade_to_nothing_and_upgrade_again(empty_engine: Engine) -> None:
    engine = empty_engine
    create_schema(engine)
    assert revision(engine) == HEAD and differences(engine) == []
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    create_schema(engine)
    assert revision(engine) == HEAD and differences(engine) == []


def test_a_database_made_before_migrations_keeps_its_rows(tmp_path: Path) -> None:
    """`create_all` made the tables of the first revision before there were migrations."""
    engine = make_engine(f"sqlite:///{tmp_path / 'onego.db'}")
    config = alembic_config()
    with engine.begin() as connection:  # the first revision's schema, without its version
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text("DROP TABLE alembic_version"))
    with engine.begin() as connection:  # the first revision's columns (not today's model's)
        connection.execute(
            text(
                "INSERT INTO user (username, password_hash, role, display_name) "
                "VALUES ('early', 'x', 'applicant', '')"
            )
        )
    create_schema(engine)
    assert revision(engine) == HEAD and differences(engine) == []
    with Session(engine) as session:
        assert session.exec(select(User.username)).all() == ["early"]


def test_processes_starting_together_migrate_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'onego.db'}"
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: create_schema(make_engine(url)), range(4)))
    engine = make_engine(url)
    assert revision(engine) == HEAD and differences(engine) == []
