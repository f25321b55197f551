"""Writes of case transitions (read model, event log, notifications) shared by the workers."""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from activities.models import CaseRecord, CaseStatus, EventKind, ItemRecord, ItemStatus
from catalog.calendar import WorkCalendar
from catalog.loader import Catalog
from catalog.models import Text
from store import rollups
from store.models import Audience, Case, CaseEvent, CaseItem, Notification
from store.notifications import messages_for

FINAL = (ItemStatus.done, ItemStatus.rejected, ItemStatus.failed, ItemStatus.compensated)
# The event that ends an item (each item has at most one; compensation follows a `done`).
ITEM_ENDS = frozenset(
    {
        EventKind.done,
        EventKind.rejected,
        EventKind.failed,
        EventKind.cancelled,
        EventKind.supplement_expired,
    }
)
# record field -> column, applied when the record carries a value
OPTIONAL = (
    "reason",
    "reason_code",
    "holder",
    "due_at",
    "department_days",
    "applicant_days",
    "breached",
    "supplement",
)


def record_item(session: Session, record: ItemRecord, catalog: Catalog) -> CaseEvent | None:
    """Apply one item transition, log its event and queue its notifications.

    Idempotent: the event is unique by (case, item, kind, workflow time), so a retried
    write finds it and changes nothing. Returns the new event, or None for a repeated write.
    """
    event = _new_event(session, record.case_id, record.item, record.event, record, record.actor)
    if event is None:
        return None
    values: dict[str, object] = {"status": record.status}
    values.update({f: getattr(record, f) for f in OPTIONAL if getattr(record, f) is not None})
    if record.outputs:
        values["outputs"] = record.outputs
    if record.event is EventKind.task_opened:
        values["opened_at"] = values["started_at"] = record.at
    elif record.event is EventKind.reminder:
        values["reminded_at"] = record.at
    elif record.event is EventKind.escalation:
        values["escalated_at"] = record.at
    elif record.event in (EventKind.approved, EventKind.rejected):
        values["decided_by"] = record.actor
    if record.status in FINAL:
        values["completed_at"] = record.at
    if record.event in ITEM_ENDS:
        started = _started_at(session, record, catalog)
        if started is not None:
            values["started_at"] = started
            values["elapsed_days"] = catalog.calendar.working_days_between(started, record.at)
    session.exec(  # type: ignore[call-overload]
        update(CaseItem)
        .where(CaseItem.case_id == record.case_id, CaseItem.item == record.item)
        .values(**values)
    )
    _notify(session, event, record.item, catalog.items[record.item].name, record.reason)
    return event


def _started_at(session: Session, record: ItemRecord, catalog: Catalog) -> datetime | None:
    """When the ending item became ready: its task opened (reviewed items), or else when the
    last item it requires was done (the workflow starts it in that same moment), or when the
    case started. None for an item cancelled before it started."""
    row = session.exec(
        select(CaseItem).where(CaseItem.case_id == record.case_id, CaseItem.item == record.item)
    ).one()
    if row.started_at is not None or record.event is EventKind.cancelled:
        return row.started_at
    case = session.get(Case, record.case_id)
    assert case is not None
    spec = catalog.spec(case.scenario, case.scenario_version)
    required = next((i.requires for i in spec.items if i.code == record.item), []) if spec else []
    ready = [case.started_at or case.submitted_at]
    if required:
        ready += session.exec(
            select(CaseItem.completed_at).where(
                CaseItem.case_id == record.case_id,
                CaseItem.item.in_(required),  # type: ignore[attr-defined]
                CaseItem.status == ItemStatus.done,
            )
        ).all()
    return min(max(t for t in ready if t is not None), record.at)


def record_case(
    session: Session, record: CaseRecord, calendar: WorkCalendar, catalog: Catalog
) -> CaseEvent | None:
    """Apply a case transition; when it ends, compute its elapsed working days.

    Returns the new event, or None for a repeated write."""
    case = session.get(Case, record.case_id)
    if case is None:
        raise LookupError(f"case {record.case_id} is not in the read model")
    kind = (
        EventKind.case_started if record.status is CaseStatus.running else (EventKind.case_finished)
    )
    event = _new_event(session, case.id, "", kind, record, None)
    if event is None:
        return None
    before = rollups.case_contribution(session, case, catalog)
    case.status = record.status
    case.reason = record.reason
    if record.status is CaseStatus.running:
        case.started_at = record.at
    if record.status is not CaseStatus.running:
        case.completed_at = record.at
        case.actual_days = calendar.working_days_between(case.submitted_at, record.at)
        case.applicant_days = record.applicant_days
        case.department_days = record.department_days
        case.breaches = record.breaches
        case.undone = record.undone
        # Items that never started are closed with the case.
        for item in session.exec(select(CaseItem).where(CaseItem.case_id == case.id)):
            final = record.items.get(item.item)
            if final is ItemStatus.cancelled and item.status is not ItemStatus.cancelled:
                item.status = ItemStatus.cancelled
                session.add(item)
        scenario = catalog.scenario(case.scenario, case.scenario_version)
        name = scenario.name if scenario else Text(zh=case.scenario, en=case.scenario)
        _notify(session, event, "", name, record.reason)
    session.add(case)
    # the dashboard's pre-aggregated rows, in this transaction (so exactly once)
    rollups.apply_transition(session, before, rollups.case_contribution(session, case, catalog))
    return event


def _new_event(
    session: Session,
    case_id: str,
    item: str,
    kind: EventKind,
    record: ItemRecord | CaseRecord,
    actor: str | None,
) -> CaseEvent | None:
    """Insert the event unless it was written already (a retried write)."""
    found = session.exec(
        select(CaseEvent).where(
            CaseEvent.case_id == case_id,
            CaseEvent.item == item,
            CaseEvent.kind == kind,
            CaseEvent.at == record.at,
        )
    ).first()
    if found is not None:
        return None
    detail = record.model_dump(
        mode="json", exclude={"case_id", "item", "event", "at", "actor"}, exclude_none=True
    )
    event = CaseEvent(
        case_id=case_id, item=item, kind=kind, at=record.at, actor=actor, detail=detail
    )
    session.add(event)
    session.flush()
    return event


def _notify(session: Session, event: CaseEvent, item: str, name: Text, reason: str | None) -> None:
    messages = messages_for(event.kind, name, reason)
    if not messages:
        return
    case = session.get(Case, event.case_id)
    assert case is not None and event.id is not None
    department = None
    if item:
        row = session.exec(
            select(CaseItem).where(CaseItem.case_id == case.id, CaseItem.item == item)
        ).one()
        department = row.department
    for audience, text in messages:
        session.add(
            Notification(
                event_id=event.id,
                case_id=case.id,
                audience=audience,
                applicant_id=case.applicant_id if audience is Audience.applicant else None,
                department=None if audience is Audience.applicant else department,
                kind=event.kind,
                text=text.model_dump(),
                created_at=event.at,
            )
        )
