"""Writes and reads of cases and their items, shared by the API and the read-model activities."""

from sqlalchemy import update
from sqlmodel import Session, select

from activities.models import CaseRecord, CaseStatus, ItemRecord, ItemStatus
from catalog.calendar import WorkCalendar
from store.models import Case, CaseItem


def record_item(session: Session, record: ItemRecord) -> None:
    """Apply one item transition (idempotent: re-applying it changes nothing)."""
    values: dict[str, object] = {"status": record.status}
    if record.status is ItemStatus.awaiting_review:
        values["opened_at"] = record.at
    if record.status in (ItemStatus.done, ItemStatus.rejected, ItemStatus.failed):
        values["completed_at"] = record.at
    if record.outputs:
        values["outputs"] = record.outputs
    if record.reason is not None:
        values["reason"] = record.reason
    if record.decided_by is not None:
        values["decided_by"] = record.decided_by
    session.exec(  # type: ignore[call-overload]
        update(CaseItem)
        .where(CaseItem.case_id == record.case_id, CaseItem.item == record.item)
        .values(**values)
    )


def record_case(session: Session, record: CaseRecord, calendar: WorkCalendar) -> None:
    """Apply a case transition; on completion compute the elapsed working days."""
    case = session.get(Case, record.case_id)
    if case is None:
        raise LookupError(f"case {record.case_id} is not in the read model")
    case.status = record.status
    case.reason = record.reason
    if record.status is not CaseStatus.running:
        case.completed_at = record.at
        case.actual_days = calendar.working_days_between(case.submitted_at, record.at)
        # Items the workflow never started are closed with the case.
        for item in session.exec(select(CaseItem).where(CaseItem.case_id == case.id)):
            final = record.items.get(item.item)
            if final is ItemStatus.cancelled and item.status is not ItemStatus.cancelled:
                item.status = ItemStatus.cancelled
                session.add(item)
    session.add(case)
