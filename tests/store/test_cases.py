"""The read model's case and item transitions (store.case_writes), on SQLite and PostgreSQL."""

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from activities.read_model import ReadModelActivities
from catalog.calendar import CHINA_TZ
from catalog.loader import Catalog, get_catalog
from domain.records import CaseRecord, ItemRecord
from domain.statuses import CaseStatus, EventKind, ItemStatus
from store import case_writes as cases
from store.db import session_scope
from store.models import Case, CaseEvent, CaseItem, Role
from store.users import add_user
from tests.helpers import newborn_form, unique

SUBMITTED = datetime(2026, 11, 27, 12, tzinfo=CHINA_TZ)  # a Friday noon


@pytest.fixture
def catalog() -> Catalog:
    return get_catalog()


@pytest.fixture
def case_id(engine: Engine, catalog: Catalog) -> str:
    """A newborn case and its ten items, stored as submission stores them."""
    spec = catalog.spec("newborn")
    assert spec is not None
    case_id = str(uuid.uuid4())
    with Session(engine) as session:
        applicant = add_user(session, unique("applicant"), "pw", Role.applicant)
        assert applicant.id is not None
        session.add(
            Case(
                id=case_id,
                scenario="newborn",
                scenario_version=spec.version,
                applicant_id=applicant.id,
                request_hash="0" * 64,
                form=newborn_form(),
                submitted_at=SUBMITTED,
                materials_baseline=31,
                materials_provided=8,
                fields_baseline=48,
                fields_typed=16,
                baseline_days=80.0,
            )
        )
        session.add_all(
            CaseItem(
                case_id=case_id,
                item=item.code,
                position=index,
                department=item.department,
                mode=item.mode.value,
            )
            for index, item in enumerate(spec.items)
        )
        session.commit()
    return case_id


def items_of(engine: Engine, case_id: str) -> dict[str, CaseItem]:
    with Session(engine) as session:
        rows = session.exec(select(CaseItem).where(CaseItem.case_id == case_id)).all()
        return {row.item: row for row in rows}


def events_of(engine: Engine, case_id: str) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)
        return session.exec(query).one()


def test_case_and_item_transitions(engine: Engine, catalog: Catalog, case_id: str) -> None:
    def write_item(record: ItemRecord) -> None:
        with session_scope(engine) as session:
            cases.record_item(session, record, catalog)

    def write_case(record: CaseRecord) -> None:
        with session_scope(engine) as session:
            cases.record_case(session, record, catalog.calendar, catalog)

    assert {i.status for i in items_of(engine, case_id).values()} == {ItemStatus.pending}
    write_case(CaseRecord(case_id=case_id, status=CaseStatus.running, at=SUBMITTED))
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.status, case.completed_at, case.actual_days) == (
            CaseStatus.running,
            None,
            None,
        )

    issued = SUBMITTED + timedelta(minutes=5)
    done = ItemRecord(
        case_id=case_id,
        item="birth_medical_certificate",
        event=EventKind.done,
        status=ItemStatus.done,
        at=issued,
        outputs={"birth_certificate_no": "Q1234567890"},
    )
    write_item(done)
    opened = SUBMITTED + timedelta(minutes=6)
    write_item(
        ItemRecord(
            case_id=case_id,
            item="household_registration",
            event=EventKind.task_opened,
            status=ItemStatus.awaiting_review,
            at=opened,
        )
    )
    events = events_of(engine, case_id)
    write_item(done)  # a retried write changes nothing
    assert events_of(engine, case_id) == events

    rows = items_of(engine, case_id)
    certificate, household = rows["birth_medical_certificate"], rows["household_registration"]
    assert certificate.status is ItemStatus.done
    assert certificate.outputs == {"birth_certificate_no": "Q1234567890"}
    assert certificate.completed_at == issued  # timezone-aware on both backends
    assert household.status is ItemStatus.awaiting_review
    assert household.opened_at == opened and household.completed_at is None
    assert rows["childbirth_registration"].status is ItemStatus.pending

    # The case ends on Monday noon: one working day after Friday noon.
    ended = datetime(2026, 11, 30, 12, tzinfo=CHINA_TZ)
    final = dict.fromkeys(rows, ItemStatus.done) | {"social_security_card": ItemStatus.cancelled}
    write_case(
        CaseRecord(case_id=case_id, status=CaseStatus.rejected, at=ended, reason="no", items=final)
    )
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.status is CaseStatus.rejected and case.reason == "no"
        assert case.completed_at == ended
        assert case.actual_days == pytest.approx(1.0)
    rows = items_of(engine, case_id)
    assert rows["social_security_card"].status is ItemStatus.cancelled
    # Only items the workflow reports cancelled change; the others keep their own state.
    assert rows["household_registration"].status is ItemStatus.awaiting_review
    assert rows["birth_medical_certificate"].status is ItemStatus.done


def test_a_batch_of_transitions_is_written_whole_or_not_at_all(
    engine: Engine, catalog: Catalog, case_id: str
) -> None:
    """`record_items`, the workflow's batched write: one transaction, retried safely."""
    writer = ReadModelActivities(engine, catalog.calendar, catalog)
    writer.record_case(CaseRecord(case_id=case_id, status=CaseStatus.running, at=SUBMITTED))
    logged = events_of(engine, case_id)
    at = SUBMITTED + timedelta(minutes=5)

    def transition(item: str, status: ItemStatus) -> ItemRecord:
        event = EventKind.done if status is ItemStatus.done else EventKind.cancelled
        return ItemRecord(case_id=case_id, item=item, event=event, status=status, at=at)

    batch = [
        transition("birth_medical_certificate", ItemStatus.done),
        transition("vaccination_certificate", ItemStatus.done),
        transition("household_registration", ItemStatus.cancelled),
    ]
    with pytest.raises(KeyError):  # its last transition names no item of the case
        writer.record_items([*batch, transition("no_such_item", ItemStatus.done)])
    assert {i.status for i in items_of(engine, case_id).values()} == {ItemStatus.pending}
    assert events_of(engine, case_id) == logged

    writer.record_items(batch)
    statuses = {code: row.status for code, row in items_of(engine, case_id).items()}
    assert [statuses[r.item] for r in batch] == [r.status for r in batch]
    assert events_of(engine, case_id) == logged + 3
    writer.record_items(batch)  # the local activity retried after a crash
    assert events_of(engine, case_id) == logged + 3


def test_a_case_missing_from_the_read_model_is_an_error(engine: Engine, catalog: Catalog) -> None:
    with pytest.raises(LookupError), session_scope(engine) as session:
        cases.record_case(
            session,
            CaseRecord(case_id=str(uuid.uuid4()), status=CaseStatus.running, at=SUBMITTED),
            catalog.calendar,
            catalog,
        )
