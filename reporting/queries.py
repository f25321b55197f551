"""The dashboard's SQL: a period's sums read from the rollups (reporting/rollups.py), a few
thousand rows whatever the history holds, and what is read live from the case tables (the
backlog of now, the slowest cases). The same sums from the case tables themselves are in
reporting/case_tables.py."""

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Row, Table, and_, case, func, select, text
from sqlmodel import Session

from domain.statuses import CaseStatus, ItemStatus
from reporting import rollups
from reporting.names import status_text
from reporting.period import Period
from store.models import CASE, ITEM, OPEN_ITEMS

Source = Literal["rollups", "rows"]
# CaseDay's amounts besides its count of cases
SUMS = (
    "materials_baseline",
    "materials_provided",
    "baseline_days",
    "actual_days",
    "applicant_days",
    "department_days",
    "breaches",
)
ITEM_SUMS = tuple(
    c.name for c in rollups.ITEM_DAY.columns if c.name not in rollups.COLUMNS["rollup_item_day"]
)
OPEN_STATUSES = (CaseStatus.submitted.value, CaseStatus.running.value)
# (scenario, status, cases, their sums)
CaseSums = tuple[str, str, int, dict[str, float]]
# (department, item) -> the ItemDay sums
ItemSums = dict[tuple[str, str], dict[str, float]]


def summed(
    session: Session,
    table: Table,
    groups: tuple[str, ...],
    sums: tuple[str, ...],
    period: Period | None,
    scenario: str | None = None,
) -> dict[tuple[Any, ...], list[float]]:
    """Σ `sums` of a rollup table by `groups` over the period (None: all time, every month
    row): one range of its primary key per segment (edge days, whole months), added up here."""
    total: dict[tuple[Any, ...], list[float]] = {}
    segments = period.segments() if period else [(rollups.MONTH, date.min, date.max)]
    for grain, first, last in segments:
        query = select(*(table.c[g] for g in groups), *(func.sum(table.c[c]) for c in sums))
        query = query.where(table.c.grain == grain, table.c.day.between(first, last))
        if scenario:
            query = query.where(table.c.scenario == scenario)
        for row in session.connection().execute(query.group_by(*(table.c[g] for g in groups))):
            key = tuple(v.value if hasattr(v, "value") else v for v in row[: len(groups)])
            values = [float(v or 0) for v in row[len(groups) :]]
            if key in total:
                total[key] = [a + b for a, b in zip(total[key], values, strict=True)]
            else:
                total[key] = values
    return total


def case_rows(session: Session, period: Period | None, scenario: str | None) -> list[CaseSums]:
    """(scenario, status, cases, sums) of the period's cases whose workflow started."""
    found = summed(
        session, rollups.CASE_DAY, ("scenario", "status"), ("cases", *SUMS), period, scenario
    )
    return [
        (code, status, int(n), dict(zip(SUMS, rest, strict=True)))
        for (code, status), (n, *rest) in found.items()
        if n
    ]


def histograms(session: Session, period: Period, scenario: str | None) -> dict[str, Counter[int]]:
    """Completed cases per scenario by end-to-end tenths of a working day."""
    found = summed(session, rollups.CASE_DAYS, ("scenario", "tenths"), ("cases",), period, scenario)
    result: dict[str, Counter[int]] = defaultdict(Counter)
    for (code, bucket), (n,) in found.items():
        if n:
            result[code][int(bucket)] += int(n)
    return result


def item_rows(session: Session, period: Period, scenario: str | None) -> ItemSums:
    """(department, item) -> the ItemDay sums of the period."""
    found = summed(session, rollups.ITEM_DAY, ("department", "item"), ITEM_SUMS, period, scenario)
    return {key: dict(zip(ITEM_SUMS, sums, strict=True)) for key, sums in found.items()}


# -- live from the case tables ----------------------------------------------------------


def backlog(
    session: Session, now: datetime, scenario: str | None = None
) -> dict[str, dict[str, int]]:
    """Per department, now: open reviewed items, those waiting for a supplement, overdue."""
    waiting = ItemStatus.awaiting_review.value
    if scenario:
        return _scenario_backlog(session, now, scenario)
    query = select(
        ITEM.c.department,
        func.count(),
        func.sum(case((ITEM.c.status == ItemStatus.awaiting_supplement.value, 1), else_=0)),
        func.sum(case((and_(ITEM.c.status == waiting, ITEM.c.due_at < now), 1), else_=0)),
    ).where(text(f"case_item.{OPEN_ITEMS}"))  # the partial index's condition, so it is used
    rows = session.connection().execute(query.group_by(ITEM.c.department))
    return {
        d: {"open": int(n), "awaiting_supplement": int(s or 0), "overdue": int(o or 0)}
        for d, n, s, o in rows
    }


def _scenario_backlog(session: Session, now: datetime, scenario: str) -> dict[str, dict[str, int]]:
    """One scenario's backlog: its open items, found among all open items (few) by their
    cases' keys, rather than by a join the planner may start from the scenario's many cases."""
    waiting = ItemStatus.awaiting_review.value
    found = (
        session.connection()
        .execute(
            select(ITEM.c.case_id, ITEM.c.department, ITEM.c.status, ITEM.c.due_at).where(
                text(f"case_item.{OPEN_ITEMS}")
            )
        )
        .all()
    )
    mine = _cases_of(session, sorted({row[0] for row in found}), scenario)
    result: dict[str, dict[str, int]] = {}
    for case_id, department, status, due_at in found:
        if case_id not in mine:
            continue
        counts = result.setdefault(department, {"open": 0, "awaiting_supplement": 0, "overdue": 0})
        status = status_text(status)
        counts["open"] += 1
        counts["awaiting_supplement"] += status == ItemStatus.awaiting_supplement.value
        counts["overdue"] += bool(status == waiting and due_at is not None and due_at < now)
    return result


def _cases_of(session: Session, ids: list[str], scenario: str) -> set[str]:
    """Those of the case ids that belong to the scenario, 500 keys a query."""
    mine: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        mine.update(
            session.connection().scalars(
                select(CASE.c.id).where(CASE.c.id.in_(chunk), CASE.c.scenario == scenario)
            )
        )
    return mine


def scenario_codes(session: Session) -> list[str]:
    """Every scenario some case was submitted for."""
    return [c for (c,) in session.connection().execute(select(CASE.c.scenario).distinct())]


def slowest_completed(
    session: Session, period: Period, codes: list[str], limit: int
) -> list[Row[Any, Any, Any, Any]]:
    """(id, scenario, actual days, breaches) of the completed cases of the period that took
    the most working days, the slowest first. One query per scenario, each reading the
    (status, scenario, actual_days) index from its top until `limit` cases are found."""
    start, end = period.bounds()
    found: list[Row[Any, Any, Any, Any]] = []
    for code in codes:
        query = (
            select(CASE.c.id, CASE.c.scenario, CASE.c.actual_days, CASE.c.breaches)
            .where(
                CASE.c.status == CaseStatus.completed.value,
                CASE.c.scenario == code,
                CASE.c.submitted_at >= start,
                CASE.c.submitted_at < end,
            )
            .order_by(CASE.c.actual_days.desc())
            .limit(limit)
        )
        found += session.connection().execute(query).all()
    found.sort(key=lambda row: (-(row[2] or 0.0), row[0]))
    return found[:limit]
