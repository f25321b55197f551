"""Retention: cases closed longer than the period lose their personal data and keep their
figures (store/retention.py, `onego retention run`)."""

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from cli import app
from domain.statuses import CaseStatus, ItemStatus
from runtime.settings import get_settings
from store.models import (
    AuditEvent,
    Case,
    CaseEvent,
    CaseItem,
    Draft,
    Notification,
    Role,
    SimulatedIssue,
    utcnow,
)
from store.retention import DRAFT_DAYS, ERASED_TEXT, run_retention
from store.users import add_user
from tests.conftest import TEST_DATA_KEYS, database_url
from tests.store.personal import personal_values, store_case
from tests.store.test_sealed import raw_rows, readable

PERIOD = timedelta(days=3 * 365)


def _runs(engine: Engine) -> list[str]:
    with Session(engine) as session:
        query = select(AuditEvent.detail).where(AuditEvent.action == "retention.run")
        return list(session.exec(query.order_by(col(AuditEvent.seq))))


def _whole(engine: Engine, case_id: str, form: dict[str, object]) -> bool:
    """The case still holds all its personal data, readable through the ORM."""
    with Session(engine) as session:
        case = session.get(Case, case_id)
        item = session.exec(select(CaseItem).where(CaseItem.case_id == case_id)).one()
        note = session.exec(select(Notification).where(Notification.case_id == case_id)).one()
    return (
        case is not None
        and case.erased_at is None
        and case.form == form
        and bool(item.outputs)
        and item.supplement is not None
        and note.text != ERASED_TEXT
    )


def test_old_closed_cases_lose_their_personal_data_and_keep_their_figures(
    own_engine: Engine,
) -> None:
    engine, now = own_engine, utcnow()
    old, old_form = store_case(engine, completed_at=now - timedelta(days=4 * 365))
    recent, recent_form = store_case(engine, completed_at=now - timedelta(days=365))
    running, running_form = store_case(
        engine, CaseStatus.running, submitted_at=now - timedelta(days=5 * 365)
    )
    values = personal_values(old_form)
    found = readable(engine, old, values)
    assert found == []  # sealed at rest: the raw rows never showed them

    report = run_retention(engine, PERIOD, now)
    assert report.erased == 1
    assert _runs(engine) == ["1 cases"]

    with Session(engine) as session:
        case = session.get(Case, old)
        assert case is not None and case.erased_at is not None
        assert case.form == {} and case.reason is None
        # the figures the reform is judged by stay
        assert (case.status, case.materials_baseline, case.materials_provided) == (
            CaseStatus.completed,
            30,
            3,
        )
        assert (case.actual_days, case.baseline_days, case.breaches) == (4.5, 60.0, 1)
        assert case.completed_at is not None and case.submitted_at is not None
        item = session.exec(select(CaseItem).where(CaseItem.case_id == old)).one()
        assert (item.outputs, item.supplement, item.reason) == ({}, None, None)
        assert (item.status, item.elapsed_days, item.decided_by) == (
            ItemStatus.done,
            2.0,
            "clerk-1",
        )
        event = session.exec(select(CaseEvent).where(CaseEvent.case_id == old)).one()
        assert event.detail == {"status": "done"} and event.kind == "done"
        note = session.exec(select(Notification).where(Notification.case_id == old)).one()
        assert note.text == ERASED_TEXT
        issue = session.exec(select(SimulatedIssue).where(SimulatedIssue.case_id == old)).one()
        assert issue.outputs == {}
    assert _whole(engine, recent, recent_form)  # closed within the period
    assert _whole(engine, running, running_form)  # still open, however old

    before = raw_rows(engine, old)
    again = run_retention(engine, PERIOD, now)
    assert again.erased == 0
    assert raw_rows(engine, old) == before  # nothing more changed
    assert _whole(engine, recent, recent_form) and _whole(engine, running, running_form)
    assert _runs(engine) == ["1 cases", "0 cases"]


@pytest.fixture
def cli_settings(own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The CLI reads its settings from the environment: the test's database and key ring."""
    monkeypatch.setenv("DATABASE_URL", database_url(own_engine))
    monkeypatch.setenv("DATA_KEYS", TEST_DATA_KEYS)
    monkeypatch.setenv("RETENTION_DAYS", "30")
    get_settings.cache_clear()
    yield own_engine
    get_settings.cache_clear()


@pytest.mark.parametrize("own_engine", ["sqlite"], indirect=True)
def test_onego_retention_run(cli_settings: Engine) -> None:
    engine, now = cli_settings, utcnow()
    old, _ = store_case(engine, completed_at=now - timedelta(days=31))
    recent, recent_form = store_case(engine, completed_at=now - timedelta(days=29))
    result = CliRunner().invoke(app, ["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "erased the personal data of 1 cases" in result.output
    with Session(engine) as session:
        assert session.get(Case, old).form == {}  # type: ignore[union-attr]
    assert _whole(engine, recent, recent_form)
    assert _runs(engine) == ["1 cases"]


def test_drafts_untouched_for_their_period_are_deleted(engine: Engine) -> None:
    """An unfinished form holds personal answers: deleted DRAFT_DAYS after its last save."""
    now = utcnow()
    with Session(engine) as session:
        owner = add_user(session, f"drafter-{uuid.uuid4().hex[:8]}", "x" * 12, Role.applicant)
        owner_id = owner.id
        assert owner_id is not None
        for scenario, age in (("newborn", DRAFT_DAYS + 1), ("open_restaurant", DRAFT_DAYS - 1)):
            session.add(
                Draft(
                    id=str(uuid.uuid4()),
                    owner_id=owner_id,
                    scenario=scenario,
                    answers={"child_name": "王小明"},
                    updated_at=now - timedelta(days=age),
                )
            )
        session.commit()
    report = run_retention(engine, PERIOD, now)
    assert report.drafts >= 1
    with Session(engine) as session:
        left = session.exec(select(Draft.scenario).where(Draft.owner_id == owner_id)).all()
    assert left == ["open_restaurant"]
