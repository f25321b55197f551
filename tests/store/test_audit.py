"""The audit trail (store/audit.py): SM3 chain, append-only in the database, one chain under
concurrent writers, and `onego audit verify|export`."""

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from cli import app
from runtime.settings import Settings, get_settings
from store.audit import GENESIS, chain_hash, record_audit, verify_chain
from store.db import session_scope
from store.models import AuditEvent, Role, User
from tests.conftest import DB_BACKENDS, database_url, fresh_database


@pytest.fixture(params=DB_BACKENDS)
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of this test alone (its trail is tampered with)."""
    with fresh_database(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """The CLI reads the settings of its environment, not those cached by earlier tests."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def write_some(engine: Engine, n: int = 5) -> None:
    clerk = User(id=7, username="clerk-a", password_hash="x", role=Role.clerk, department="pol")
    for i in range(n):
        with session_scope(engine) as session:
            record_audit(
                session,
                action="case.view",
                actor=clerk,
                object_type="case",
                object_id=f"case-{i}",
                client="127.0.0.1",
                request_id=f"r{i}",
            )


def tamper(engine: Engine, statement: str) -> None:
    """Change the trail behind the application's back: the triggers dropped or disabled, as
    someone with the database's owner rights could."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
            connection.exec_driver_sql(statement)
            connection.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER USER")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_event_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
            connection.exec_driver_sql(statement)


def test_rows_chain_from_genesis_with_sm3(own_engine: Engine) -> None:
    write_some(own_engine, 3)
    with Session(own_engine) as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
        assert [r.seq for r in rows] == [1, 2, 3]
        assert rows[0].prev_hash == GENESIS
        assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
        assert all(len(r.hash) == 64 and chain_hash(r.prev_hash, r) == r.hash for r in rows)
        first = rows[0]
        assert (first.actor_id, first.actor_name, first.role, first.department) == (
            7,
            "clerk-a",
            "clerk",
            "pol",
        )
        assert first.at.tzinfo is not None
        report = verify_chain(session)
    assert report.intact and report.rows == 3 and report.head == rows[2].hash


def test_the_row_is_part_of_the_callers_transaction(own_engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(own_engine) as session:
        record_audit(session, action="task.decide", object_type="task", object_id="x")
        raise RuntimeError("the action failed")
    with Session(own_engine) as session:
        assert session.exec(select(AuditEvent)).all() == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET outcome = 'failure' WHERE seq = 2",
        "DELETE FROM audit_event WHERE seq = 2",
        "DELETE FROM audit_event",
    ],
)
def test_the_database_refuses_change_and_deletion(own_engine: Engine, statement: str) -> None:
    write_some(own_engine, 3)
    with pytest.raises(DBAPIError, match="append-only"), own_engine.begin() as connection:
        connection.exec_driver_sql(statement)
    with Session(own_engine) as session:
        assert verify_chain(session).rows == 3


def test_postgres_refuses_truncate(own_engine: Engine) -> None:
    if own_engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    write_some(own_engine, 1)
    with pytest.raises(DBAPIError, match="append-only"), own_engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE audit_event")


def verify(engine: Engine, tmp_path: Path) -> tuple[int, str]:
    env = {"DATABASE_URL": database_url(engine), "DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(app, ["audit", "verify"], env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("statement", "row", "words"),
    [
        ("UPDATE audit_event SET outcome = 'failure' WHERE seq = 3", 3, "changed"),
        ("UPDATE audit_event SET object_id = 'other' WHERE seq = 1", 1, "changed"),
        ("DELETE FROM audit_event WHERE seq = 2", 3, "missing"),
    ],
)
def test_verify_names_the_first_broken_row(
    own_engine: Engine, tmp_path: Path, statement: str, row: int, words: str
) -> None:
    write_some(own_engine, 5)
    code, output = verify(own_engine, tmp_path)
    assert code == 0 and "5" in output
    tamper(own_engine, statement)
    code, output = verify(own_engine, tmp_path)
    assert code != 0
    assert f"seq {row}" in output and words in output


def test_a_recomputed_hash_breaks_the_next_row(own_engine: Engine, tmp_path: Path) -> None:
    """Who rewrites a row and its hash still breaks the link to the row after it."""
    write_some(own_engine, 4)
    with Session(own_engine) as session:
        row = session.get(AuditEvent, 2)
        assert row is not None
        row.outcome = "denied"
        forged = chain_hash(row.prev_hash, row)
    tamper(
        own_engine, f"UPDATE audit_event SET outcome = 'denied', hash = '{forged}' WHERE seq = 2"
    )
    code, output = verify(own_engine, tmp_path)
    assert code != 0 and "seq 3" in output and "prev_hash" in output


def test_a_pruned_trail_verifies_from_its_first_kept_row(own_engine: Engine) -> None:
    write_some(own_engine, 4)
    tamper(own_engine, "DELETE FROM audit_event WHERE seq < 3")
    with Session(own_engine) as session:
        assert verify_chain(session).broken_at == 3  # from row 1: rows missing
        pruned = verify_chain(session, start_at=3)
    assert pruned.intact and pruned.rows == 2


def test_concurrent_writers_keep_one_chain(own_engine: Engine) -> None:
    writers, each = 8, 10

    def write(worker: int) -> None:
        for i in range(each):
            with session_scope(own_engine) as session:
                # a read first, as the views do, before the audit row is written
                session.exec(select(User)).all()
                record_audit(session, action="case.view", actor_name=f"w{worker}", object_id=str(i))

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))
    with Session(own_engine) as session:
        report = verify_chain(session)
        hashes = session.exec(select(AuditEvent.prev_hash)).all()
    assert report.intact and report.rows == writers * each
    assert len(set(hashes)) == len(hashes)  # no two rows chained on the same row


def test_export_writes_json_lines_and_is_audited(own_engine: Engine, tmp_path: Path) -> None:
    write_some(own_engine, 3)
    out = tmp_path / "audit.jsonl"
    env = {"DATABASE_URL": database_url(own_engine), "DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(
        app,
        ["audit", "export", "--from", "2000-01-01", "--to", "2999-12-31", "--out", str(out)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["seq"] for row in lines] == [1, 2, 3]
    assert {"hash", "prev_hash", "at", "actor_name", "outcome"} <= set(lines[0])
    with Session(own_engine) as session:
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc())).first()
        assert last is not None and last.action == "audit.export" and last.seq == 4
        assert verify_chain(session).intact


def test_the_trail_is_kept_six_months_at_least() -> None:
    assert Settings(audit_keep_days=180).audit_keep_days == 180
    with pytest.raises(ValidationError, match="AUDIT_KEEP_DAYS must be 180 or more"):
        Settings(audit_keep_days=179)


def test_an_application_role_with_the_documented_grants_only_appends() -> None:
    """docs/security.md's grants: the role inserts and reads the trail, and can neither
    change a row nor switch the triggers off (only the table's owner could)."""
    with fresh_database("postgres") as engine:
        schema = engine.url.query["options"].split("=", 1)[1]  # type: ignore[union-attr]
        role = f"onego_app_{uuid.uuid4().hex[:8]}"
        with engine.begin() as connection:
            connection.exec_driver_sql(f'CREATE ROLE "{role}"')
            connection.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
            connection.exec_driver_sql(f'GRANT SELECT, INSERT ON audit_event TO "{role}"')
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'SET ROLE "{role}"')  # for the connection's life
                connection.commit()
                try:
                    appends_only(connection)
                finally:
                    connection.rollback()
                    connection.exec_driver_sql("RESET ROLE")
                    connection.commit()
            with Session(engine) as session:
                assert verify_chain(session).rows == 1
        finally:
            with engine.begin() as connection:
                connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                connection.exec_driver_sql(f'DROP ROLE "{role}"')


def appends_only(connection: Connection) -> None:
    with Session(bind=connection) as session:
        record_audit(session, action="case.view", object_id="x")
        session.commit()
    for statement in (
        "UPDATE audit_event SET outcome = 'denied'",
        "ALTER TABLE audit_event DISABLE TRIGGER USER",
        "DROP TRIGGER audit_event_no_change ON audit_event",
    ):
        with pytest.raises(DBAPIError, match="permission denied|must be owner"):
            with connection.begin():
                connection.exec_driver_sql(statement)
