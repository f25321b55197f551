"""A case's SLA trace (docs/dashboard.md): each item's start, end, promised limit and
breach, the applicant's supplement waits apart, and the critical path (the chain of items
whose ends decided the case's end, as reporting/rollups.py finds it)."""

from collections import defaultdict
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session
from sqlmodel import select as select_rows

from catalog.loader import Catalog
from domain.statuses import EventKind, ItemStatus
from domain.text import Text
from reporting import rollups
from reporting.names import department_name, item_name, scenario_name, status_text
from store.models import EVENT, Case, CaseItem

SUPPLEMENT_EVENTS = (
    EventKind.supplement_requested,
    EventKind.supplement_received,
    EventKind.supplement_expired,
)


class Wait(BaseModel):
    """The applicant's supplement time inside an item (the SLA clock stopped)."""

    start: datetime
    end: datetime | None  # None: still waiting
    days: float
    outcome: Literal["received", "expired", "waiting"]


class TraceItem(BaseModel):
    item: str
    name: Text
    department: str
    department_name: Text
    mode: str
    status: str
    requires: list[str]
    start: datetime | None  # ready (task opened, or the last required item ended)
    end: datetime | None
    days: float | None  # working days from start to end (or to now while open)
    promised_days: float | None
    due_at: datetime | None
    breached: bool
    overdue: bool  # open past its due time
    department_days: float
    applicant_days: float
    waits: list[Wait]
    critical: bool


class Trace(BaseModel):
    case_id: str
    scenario: str
    name: Text
    status: str
    submitted_at: datetime
    completed_at: datetime | None
    now: datetime
    actual_days: float | None
    baseline_days: float
    applicant_days: float
    department_days: float
    breaches: int
    critical_path: list[str]
    items: list[TraceItem]


def case_trace(
    session: Session, case_id: str, catalog: Catalog, now: datetime | None = None
) -> Trace | None:
    """The SLA trace of one case, None if there is no such case."""
    row = session.get(Case, case_id)
    if row is None:
        return None
    now = now or datetime.now(UTC)
    items = sorted(
        session.exec(select_rows(CaseItem).where(CaseItem.case_id == case_id)).all(),
        key=lambda i: i.position,
    )
    clock = rollups.clock_of(catalog.calendar)
    waits = _waits(session, case_id, clock, now)
    requires = rollups.requires_of(catalog, row.scenario, row.scenario_version)
    timings = rollups.item_timings(row.submitted_at, items, requires, clock, completed=True)
    critical = sorted((c for c, t in timings.items() if t.critical), key=lambda c: timings[c].end)
    present = {i.item for i in items}
    return Trace(
        case_id=row.id,
        scenario=row.scenario,
        name=scenario_name(catalog, row.scenario),
        status=status_text(row.status),
        submitted_at=row.submitted_at,
        completed_at=row.completed_at,
        now=now,
        actual_days=row.actual_days,
        baseline_days=row.baseline_days,
        applicant_days=row.applicant_days,
        department_days=row.department_days,
        breaches=row.breaches,
        critical_path=critical,
        items=[
            _trace_item(
                item,
                timings.get(item.item),
                [r for r in requires.get(item.item, []) if r in present],
                waits.get(item.item, []),
                item.item in critical,
                catalog,
                clock,
                now,
            )
            for item in items
        ],
    )


def _waits(
    session: Session, case_id: str, clock: rollups.WorkingClock, now: datetime
) -> dict[str, list[Wait]]:
    """Per item, the applicant's waits: supplement requested -> received or expired (or
    still waiting, counted to `now`)."""
    events = session.connection().execute(
        select(EVENT.c.item, EVENT.c.kind, EVENT.c.at)
        .where(
            EVENT.c.case_id == case_id,
            EVENT.c.kind.in_([kind.value for kind in SUPPLEMENT_EVENTS]),
        )
        .order_by(EVENT.c.at, EVENT.c.id)
    )
    waits: dict[str, list[Wait]] = defaultdict(list)
    for item, kind, at in events:
        kind = EventKind(status_text(kind))
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        if kind is EventKind.supplement_requested:
            waits[item].append(Wait(start=at, end=None, days=0.0, outcome="waiting"))
        elif waits[item] and waits[item][-1].end is None:
            wait = waits[item][-1]
            wait.end = at
            wait.days = round(clock.between(wait.start, at), 4)
            wait.outcome = "received" if kind is EventKind.supplement_received else "expired"
    for item_waits in waits.values():
        for wait in item_waits:
            if wait.end is None:
                wait.days = round(clock.between(wait.start, now), 4)
    return waits


def _trace_item(
    item: CaseItem,
    timing: rollups.Timing | None,
    requires: list[str],
    waits: list[Wait],
    critical: bool,
    catalog: Catalog,
    clock: rollups.WorkingClock,
    now: datetime,
) -> TraceItem:
    """One item of the trace; an item that has not ended counts its days up to `now`."""
    start = timing.start if timing else item.opened_at
    known = catalog.items.get(item.item)
    status = status_text(item.status)
    days = timing.days if timing else (clock.between(start, now) if start else None)
    return TraceItem(
        item=item.item,
        name=item_name(catalog, item.item),
        department=item.department,
        department_name=department_name(catalog, item.department),
        mode=item.mode,
        status=status,
        requires=requires,
        start=start,
        end=item.completed_at,
        days=round(days, 4) if days is not None else None,
        promised_days=float(known.promised_days) if known else None,
        due_at=item.due_at,
        breached=item.breached,
        overdue=_overdue(item, status, now),
        department_days=item.department_days,
        applicant_days=item.applicant_days,
        waits=waits,
        critical=critical,
    )


def _overdue(item: CaseItem, status: str, now: datetime) -> bool:
    """Open, waiting for the department, past its due time (a supplement stops the clock)."""
    return bool(
        item.completed_at is None
        and status == ItemStatus.awaiting_review.value
        and item.due_at is not None
        and item.due_at < now
    )
