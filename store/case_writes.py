"""Writes of case transitions (read model, event log, notifications) shared by the workers."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session
from sqlmodel import select as select_rows

from catalog.calendar import WorkCalendar
from catalog.loader import Catalog
from domain.records import CaseRecord, ItemRecord
from domain.statuses import CaseStatus, EventKind, ItemStatus
from domain.text import Text
from reporting import rollups
from store.certificates import issue_certificates, revoke_certificates
from store.db import insert, once_per_dialect
from store.models import CASE, EVENT, ITEM, NOTIFICATION, Audience, Case, CaseEvent, CaseItem
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


# `INSERT ... ON CONFLICT DO NOTHING RETURNING id` into the event log (a Core statement on the
# table: the ORM's bulk-insert path cost a third of a transition's write)
_event_insert = once_per_dialect(
    lambda connection: insert(connection, EVENT).on_conflict_do_nothing().returning(EVENT.c.id)
)

# the case's columns an item transition needs, read with its items
CASE_KEYS = ("scenario", "scenario_version", "applicant_id", "started_at", "submitted_at")
# ... and the items' columns: not the sealed ones (store/sealed.py), each a decryption
ITEM_COLUMNS = [c for c in ITEM.c if c.key not in ("outputs", "supplement")]
# A transition's two statements on the items, built once (building cost more than running):
# the case's items with those case columns, and the item's update, whose SET clause holds the
# columns given with the parameters.
ITEMS_WITH_CASE = (
    select(*ITEM_COLUMNS, *(CASE.c[k].label(f"case_{k}") for k in CASE_KEYS))
    .join(CASE, CASE.c.id == ITEM.c.case_id)
    .where(ITEM.c.case_id == bindparam("of_case"))
)
ITEM_UPDATE = update(ITEM).where(
    ITEM.c.case_id == bindparam("of_case"), ITEM.c.item == bindparam("of_item")
)


@dataclass
class ItemWrite:
    """A newly applied item transition: its event and the rows as they now are (detached;
    the item's outputs and supplement only as this transition set them)."""

    event: CaseEvent
    case: Case
    item: CaseItem


def record_item(session: Session, record: ItemRecord, catalog: Catalog) -> ItemWrite | None:
    """Apply one item transition, log its event and queue its notifications.

    Idempotent: the event is unique by (case, item, kind, workflow time), so a retried
    write finds it and changes nothing, and an item's end (`ITEM_ENDS`) is written once even
    at another time. Returns the write, or None for a repeated write.
    Four statements: the event, the case's items (with the case), the item's update and
    the notifications (and the certificates of an item done with outputs, or their
    revocation when it is compensated: store/certificates.py).
    """
    connection = session.connection()
    rows = connection.execute(ITEMS_WITH_CASE, {"of_case": record.case_id}).mappings().all()
    items = {row["item"]: row for row in rows}
    current = items[record.item]
    if record.event in ITEM_ENDS and current["status"] is record.status:
        # ended so already: a department activity retried after its write, or a workflow
        # writing the end its department activity wrote (activities/department.py)
        return None
    event = _new_event(session, record.case_id, record.item, record.event, record, record.actor)
    if event is None:
        return None
    # (lists and dicts given: a default factory costs pydantic a signature inspection)
    case = Case(id=record.case_id, undone=[], **{k: current[f"case_{k}"] for k in CASE_KEYS})
    values: dict[str, Any] = {"status": record.status}
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
        started = _started_at(case, items, record, catalog)
        if started is not None:
            values["started_at"] = started
            values["elapsed_days"] = catalog.calendar.working_days_between(started, record.at)
    connection.execute(ITEM_UPDATE, {"of_case": record.case_id, "of_item": record.item} | values)
    item = CaseItem(**{c.key: current[c.key] for c in ITEM_COLUMNS} | {"outputs": {}} | values)
    if record.status is ItemStatus.done and record.outputs:
        issue_certificates(session, item, record.at)
    elif record.status is ItemStatus.compensated:
        revoke_certificates(session, record.case_id, record.item, record.at)
    _notify(session, event, case, item, catalog.items[record.item].name, record.reason)
    return ItemWrite(event, case, item)


def _started_at(
    case: Case, items: dict[str, Any], record: ItemRecord, catalog: Catalog
) -> datetime | None:
    """When the ending item became ready: its task opened (reviewed items), or else when the
    last item it requires was done (the workflow starts it in that same moment), or when the
    case started. None for an item cancelled before it started."""
    started = items[record.item]["started_at"]
    if started is not None or record.event is EventKind.cancelled:
        return started
    spec = catalog.spec(case.scenario, case.scenario_version)
    required = next((i.requires for i in spec.items if i.code == record.item), []) if spec else []
    ready = [case.started_at or case.submitted_at]
    ready += [
        items[code]["completed_at"]
        for code in required
        if code in items and items[code]["status"] is ItemStatus.done
    ]
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
        for item in session.exec(select_rows(CaseItem).where(CaseItem.case_id == case.id)):
            final = record.items.get(item.item)
            if final is ItemStatus.cancelled and item.status is not ItemStatus.cancelled:
                item.status = ItemStatus.cancelled
                session.add(item)
        scenario = catalog.scenario(case.scenario, case.scenario_version)
        name = scenario.name if scenario else Text(zh=case.scenario, en=case.scenario)
        _notify(session, event, case, None, name, record.reason)
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
    """Insert the event unless it was written already (a retried write): one
    `INSERT ... ON CONFLICT DO NOTHING RETURNING id` on the event's unique key."""
    detail = record.model_dump(
        mode="json", exclude={"case_id", "item", "event", "at", "actor"}, exclude_none=True
    )
    values: dict[str, Any] = {
        "case_id": case_id,
        "item": item,
        "kind": kind,
        "at": record.at,
        "actor": actor,
        "detail": detail,
    }
    connection = session.connection()
    inserted = connection.execute(_event_insert(connection), values).scalar()
    if inserted is None:
        return None
    return CaseEvent(id=inserted, **values)


def _notify(
    session: Session,
    event: CaseEvent,
    case: Case,
    item: CaseItem | None,
    name: Text,
    reason: str | None,
) -> None:
    rows = [
        {
            "event_id": event.id,
            "case_id": case.id,
            "audience": audience,
            "applicant_id": case.applicant_id if audience is Audience.applicant else None,
            "department": None if audience is Audience.applicant or not item else item.department,
            "kind": event.kind,
            "text": text.model_dump(),
            "created_at": event.at,
            "sent_at": None,
        }
        for audience, text in messages_for(event.kind, name, reason)
    ]
    if rows:
        session.connection().execute(NOTIFICATION.insert(), rows)
