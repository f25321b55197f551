"""The read model's personal columns are sealed at rest (store/sealed.py, migration 0007)."""

import json

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from security.keyring import KeyRingError
from store.db import alembic_config
from store.models import Case, CaseEvent, CaseItem, Notification, SimulatedIssue
from tests.store.personal import personal_values, store_case

# every table with a sealed column, and how its rows name their case
TABLES = {
    "case": "id",
    "case_item": "case_id",
    "case_event": "case_id",
    "notification": "case_id",
    "simulated_issue": "case_id",
}


def raw_rows(engine: Engine, case_id: str) -> str:
    """Every row of the case as the database returns it to plain SQL, as one text."""
    rows = []
    with engine.connect() as connection:
        for table, key in TABLES.items():
            query = text(f'SELECT * FROM "{table}" WHERE {key} = :id')
            rows += [" ".join(map(str, row)) for row in connection.execute(query, {"id": case_id})]
    return "\n".join(rows)


def readable(engine: Engine, case_id: str, values: list[str]) -> list[int]:
    """The positions in `values` found in the raw rows, as typed or as JSON escapes them
    (positions, never the values, so a failure prints none)."""
    raw = raw_rows(engine, case_id)
    return [i for i, v in enumerate(values) if v in raw or json.dumps(v)[1:-1] in raw]


def test_raw_rows_hold_no_personal_value_and_the_orm_reads_them(engine: Engine) -> None:
    case_id, form = store_case(engine)
    values = personal_values(form)
    assert len(values) >= 12  # names, ID numbers, phone, account, addresses, outputs, text
    found = readable(engine, case_id, values)
    assert found == []
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.form == form
        item = session.exec(select(CaseItem).where(CaseItem.case_id == case_id)).one()
        assert item.outputs["citizen_id"] == values[-2]
        assert item.supplement is not None and item.supplement["note"] == values[-1]
        event = session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)).one()
        assert event.detail["outputs"] == item.outputs
        note = session.exec(select(Notification).where(Notification.case_id == case_id)).one()
        assert values[-1] in note.text["zh"]
        issue = session.exec(select(SimulatedIssue).where(SimulatedIssue.case_id == case_id))
        assert issue.one().outputs == item.outputs


def test_a_value_sealed_for_another_column_does_not_open(own_engine: Engine) -> None:
    """An event's detail replaced, in the database, by its item's sealed outputs."""
    engine = own_engine
    case_id, _ = store_case(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE case_event SET detail = "
                "(SELECT outputs FROM case_item WHERE case_item.case_id = :id) "
                "WHERE case_id = :id"
            ),
            {"id": case_id},
        )
    with Session(engine) as session, pytest.raises(KeyRingError, match="authentication"):
        session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)).one()
    with Session(engine) as session:  # the value in its own column still opens
        assert session.exec(select(CaseItem).where(CaseItem.case_id == case_id)).one().outputs


def _migrate(engine: Engine, to: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        if to == "head":
            command.upgrade(config, to)
        else:
            command.downgrade(config, to)


def test_the_migration_seals_existing_rows_in_place(own_engine: Engine) -> None:
    """Rows written before 0007 (plain JSON) are sealed by it; its downgrade opens them."""
    case_id, form = store_case(own_engine)
    values = personal_values(form)
    _migrate(own_engine, "0006")  # the read model as it was: plain JSON
    found, expected = len(readable(own_engine, case_id, values)), len(values)
    assert found == expected
    _migrate(own_engine, "head")
    found = readable(own_engine, case_id, values)
    assert found == []
    with Session(own_engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.form == form
    _migrate(own_engine, "head")  # again: nothing left to seal, nothing sealed twice
    with Session(own_engine) as session:
        assert session.get(Case, case_id).form == form  # type: ignore[union-attr]


def test_a_plain_value_is_refused_loudly(own_engine: Engine) -> None:
    case_id, _ = store_case(own_engine)
    with own_engine.begin() as connection:
        connection.execute(
            text('UPDATE "case" SET form = \'{"a": 1}\' WHERE id = :id'), {"id": case_id}
        )
    with Session(own_engine) as session, pytest.raises(KeyRingError, match="not sealed"):
        session.get(Case, case_id)
