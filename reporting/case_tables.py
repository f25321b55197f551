"""The dashboard's sums read from the case tables themselves (`source="rows"`): the
reference the benchmark compares the rollups against (bench/dashboard.py), and the cases
whose workflow has not started, which the rollups leave out. Same shapes as
reporting/queries.py."""

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from catalog.loader import Catalog
from domain.statuses import CaseStatus
from reporting import rollups
from reporting.facts import ITEM_FACTS, CaseFacts, ItemFacts
from reporting.names import status_text
from reporting.period import Period
from reporting.queries import OPEN_STATUSES, SUMS, CaseSums, ItemSums
from store.models import CASE, ITEM


def case_rows(
    session: Session, period: Period | None, scenario: str | None, started: bool = True
) -> list[CaseSums]:
    """(scenario, status, cases, sums) of the period (None: all time): the cases whose
    workflow started, or with `started=False` those whose workflow has not."""
    t = CASE
    ended = t.c.status.notin_(OPEN_STATUSES)
    sums = [
        func.sum(case((ended, t.c[s]), else_=0.0)) if s == "actual_days" else func.sum(t.c[s])
        for s in SUMS
    ]
    waiting = t.c.status == CaseStatus.submitted.value
    query = select(t.c.scenario, t.c.status, func.count(), *sums).where(
        ~waiting if started else waiting
    )
    if period:
        start, end = period.bounds()
        query = query.where(t.c.submitted_at >= start, t.c.submitted_at < end)
    if scenario:
        query = query.where(t.c.scenario == scenario)
    rows = session.connection().execute(query.group_by(t.c.scenario, t.c.status)).all()
    return [
        (
            code,
            status_text(status),
            int(n),
            dict(zip(SUMS, (float(v or 0) for v in rest), strict=True)),
        )
        for code, status, n, *rest in rows
        if n
    ]


def histograms(session: Session, period: Period, scenario: str | None) -> dict[str, Counter[int]]:
    """Completed cases per scenario by end-to-end tenths of a working day."""
    start, end = period.bounds()
    query = select(CASE.c.scenario, CASE.c.actual_days).where(
        CASE.c.submitted_at >= start,
        CASE.c.submitted_at < end,
        CASE.c.status == CaseStatus.completed.value,
        CASE.c.actual_days.is_not(None),
    )
    if scenario:
        query = query.where(CASE.c.scenario == scenario)
    result: dict[str, Counter[int]] = defaultdict(Counter)
    for code, days in session.connection().execute(query):
        result[code][rollups.tenths(days)] += 1
    return result


def item_rows(
    session: Session, period: Period, scenario: str | None, catalog: Catalog | None
) -> ItemSums:
    """(department, item) -> the ItemDay sums of the period: every item of the period's
    ended cases, each case's contribution (its critical path) computed here, as the
    read-model writer computed it for the rollups."""
    if catalog is None:
        raise ValueError("the case tables need the catalog (calendar, dependencies)")
    clock = rollups.clock_of(catalog.calendar)
    requires: dict[tuple[str, int], dict[str, list[str]]] = {}
    total: rollups.Contribution = {}
    for facts, items in _ended_cases(session, period, scenario):
        key = (facts.scenario, facts.scenario_version)
        if key not in requires:
            requires[key] = rollups.requires_of(catalog, *key)
        rows = rollups.contribution(facts, items, requires[key], clock)
        rollups.accumulate(total, {k: v for k, v in rows.items() if k[0] == "rollup_item_day"})
    result: ItemSums = defaultdict(dict)
    for (_, (_, _, department, item)), sums in total.items():
        summed_row = result[(department, item)]
        for column, amount in sums.items():
            summed_row[column] = summed_row.get(column, 0) + amount
    return result


def _ended_cases(
    session: Session, period: Period, scenario: str | None
) -> Iterator[tuple[CaseFacts, list[ItemFacts]]]:
    """The period's ended cases with their items, one case at a time (read in case order)."""
    start, end = period.bounds()
    query = (
        select(
            CASE.c.id,
            CASE.c.scenario,
            CASE.c.scenario_version,
            CASE.c.status,
            CASE.c.submitted_at,
            *(ITEM.c[name] for name in ITEM_FACTS),
        )
        .join(ITEM, ITEM.c.case_id == CASE.c.id)
        .where(
            CASE.c.submitted_at >= start,
            CASE.c.submitted_at < end,
            CASE.c.status.notin_(OPEN_STATUSES),
        )
        .order_by(CASE.c.id)
    )
    if scenario:
        query = query.where(CASE.c.scenario == scenario)
    current: CaseFacts | None = None
    items: list[ItemFacts] = []
    for row in session.connection().execute(query).yield_per(50_000):
        if current is None or row[0] != current.id:
            if current is not None:
                yield current, items
            status = CaseStatus(status_text(row[3]))
            current, items = CaseFacts(row[0], row[1], row[2], status, row[4]), []
        # ItemFacts' fields in order (SQLAlchemy types only the first 10 columns of a select)
        item_columns: tuple[Any, ...] = row[5:]
        items.append(ItemFacts(*item_columns))
    if current is not None:
        yield current, items
