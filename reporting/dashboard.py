"""The reform dashboard's figures and a case's SLA trace (docs/dashboard.md).

Every figure of a period (cases submitted from `start` to `end`, China days, inclusive) comes
from the pre-aggregated rows of store/rollups.py, a few thousand rows whatever the history
holds. The same functions with `source="rows"` compute the same figures from the case tables
themselves: the reference the benchmark compares against (bench/dashboard.py).

Definitions:
- cases: cases submitted in the period whose workflow started (status other than
  `submitted`); in progress: still running; ended: the others.
- completion rate: completed / ended.
- material reduction: 1 - sum(materials provided) / sum(materials one by one), every case.
- median, p90: end-to-end working days of the completed cases, nearest rank, each case's days
  rounded up to a tenth of a working day (the histogram's resolution).
- time reduction: 1 - sum(actual days) / sum(one-by-one days), completed cases.
- SLA compliance per department: reviewed items of the period's ended cases that a clerk
  decided (approved or rejected), share not past their promised limit.
- backlog (now, whatever the period): open reviewed items; overdue: waiting for the
  department past `due_at` (an item waiting for the applicant's supplement has its clock
  stopped and is not overdue).
- drivers: per item, the working days it spent on the critical path of completed cases
  (the chain of items whose ends decided the case's end): share of all their days.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Row, Table, and_, case, func, select, text
from sqlmodel import Session
from sqlmodel import select as select_rows

from catalog.calendar import CHINA_TZ
from catalog.loader import Catalog
from catalog.models import Text
from catalog.targets import TARGETS, ReformTargets
from domain.statuses import CaseStatus, EventKind, ItemStatus
from reporting import rollups
from store.models import CASE, EVENT, ITEM, OPEN_ITEMS, Case, CaseItem

Source = Literal["rollups", "rows"]
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


class Period(BaseModel):
    start: date
    end: date  # inclusive

    @classmethod
    def last(cls, days: int, today: date | None = None) -> "Period":
        end = today or datetime.now(CHINA_TZ).date()
        return cls(start=end - timedelta(days=days - 1), end=end)

    def segments(self) -> list[tuple[int, date, date]]:
        """The period as rollup ranges: (grain, first, last) for its edge days and its whole
        months (a month row is keyed by the month's first day)."""
        first = self.start if self.start.day == 1 else _next_month(self.start)
        after = _next_month(self.end)  # the first day after the end's month
        last = after if self.end == after - timedelta(days=1) else self.end.replace(day=1)
        if first >= last:  # no whole month inside
            return [(rollups.DAY, self.start, self.end)]
        parts = [(rollups.MONTH, first, last - timedelta(days=1))]
        if self.start < first:
            parts.insert(0, (rollups.DAY, self.start, first - timedelta(days=1)))
        if last <= self.end:
            parts.append((rollups.DAY, last, self.end))
        return parts

    def bounds(self) -> tuple[datetime, datetime]:
        """[from, to) instants of the period's China days."""
        return (
            datetime.combine(self.start, time(), CHINA_TZ).astimezone(UTC),
            datetime.combine(self.end + timedelta(days=1), time(), CHINA_TZ).astimezone(UTC),
        )


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


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


class ScenarioFigures(BaseModel):
    scenario: str  # "" for the total
    name: Text
    cases: int
    in_progress: int
    ended: int
    completed: int
    by_status: dict[str, int]
    completion_rate: float | None
    materials_baseline: int
    materials_provided: int
    material_reduction: float | None
    baseline_days: float | None  # mean one-by-one days of the completed cases
    actual_days: float | None  # mean end-to-end working days of the completed cases
    median_days: float | None
    p90_days: float | None
    time_reduction: float | None
    applicant_days: float | None  # mean per completed case
    department_days: float | None
    breaches: int
    meets_material_target: bool | None
    meets_time_target: bool | None


class DepartmentFigures(BaseModel):
    department: str
    name: Text
    reviewed: int
    breached: int
    sla_compliance: float | None
    items: int
    mean_item_days: float | None
    critical_days: float
    share_of_days: float | None
    open: int  # now: waiting for the department or the applicant
    awaiting_supplement: int
    overdue: int


class ItemDriver(BaseModel):
    item: str
    name: Text
    department: str
    department_name: Text
    items: int
    mean_days: float | None
    critical: int  # times on the critical path
    critical_days: float
    critical_applicant_days: float
    mean_critical_days: float | None  # per completed case of the period
    share_of_days: float | None  # of the completed cases' end-to-end days


class Dashboard(BaseModel):
    period: Period
    scenario: str | None
    now: datetime
    targets: ReformTargets
    scenarios: list[ScenarioFigures]
    total: ScenarioFigures
    departments: list[DepartmentFigures]
    drivers: list[ItemDriver]


# -- scenarios ------------------------------------------------------------------------


def _case_rows(
    session: Session,
    period: Period | None,
    scenario: str | None,
    source: Source,
    started: bool = True,
) -> list[tuple[str, str, int, dict[str, float]]]:
    """(scenario, status, cases, sums) of the period (None: all time): the cases whose
    workflow started, or with `started=False` those whose workflow has not, which the rollups
    leave out (read from the case table whatever the source)."""
    if source == "rollups" and started:
        found = summed(
            session, rollups.CASE_DAY, ("scenario", "status"), ("cases", *SUMS), period, scenario
        )
        return [
            (code, status, int(n), dict(zip(SUMS, rest, strict=True)))
            for (code, status), (n, *rest) in found.items()
            if n
        ]
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
        (code, _status(status), int(n), dict(zip(SUMS, (float(v or 0) for v in rest), strict=True)))
        for code, status, n, *rest in rows
        if n
    ]


def _histograms(
    session: Session, period: Period, scenario: str | None, source: Source
) -> dict[str, Counter[int]]:
    """Completed cases per scenario by end-to-end tenths of a working day."""
    histograms: dict[str, Counter[int]] = defaultdict(Counter)
    if source == "rollups":
        found = summed(
            session, rollups.CASE_DAYS, ("scenario", "tenths"), ("cases",), period, scenario
        )
        for (code, bucket), (n,) in found.items():
            if n:
                histograms[code][int(bucket)] += int(n)
        return histograms
    start, end = period.bounds()
    query = select(CASE.c.scenario, CASE.c.actual_days).where(
        CASE.c.submitted_at >= start,
        CASE.c.submitted_at < end,
        CASE.c.status == CaseStatus.completed.value,
        CASE.c.actual_days.is_not(None),
    )
    if scenario:
        query = query.where(CASE.c.scenario == scenario)
    for code, days in session.connection().execute(query):
        histograms[code][rollups.tenths(days)] += 1
    return histograms


def percentile(histogram: Counter[int], q: float) -> float | None:
    """Nearest-rank percentile of a histogram of tenths, in working days."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = max(1, math.ceil(q * total)), 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket / 10
    raise AssertionError("unreachable")


def _figures(
    code: str,
    name: Text,
    by_status: dict[str, tuple[int, dict[str, float]]],
    histogram: Counter[int],
) -> ScenarioFigures:
    cases = sum(n for n, _ in by_status.values())
    open_ = sum(by_status.get(s, (0, {}))[0] for s in OPEN_STATUSES)
    completed, done = by_status.get(CaseStatus.completed.value, (0, {}))

    def total(column: str) -> float:
        return sum(sums.get(column, 0.0) for _, sums in by_status.values())

    m_base, m_prov = int(total("materials_baseline")), int(total("materials_provided"))
    d_base, d_actual = done.get("baseline_days", 0.0), done.get("actual_days", 0.0)
    material = _ratio(m_prov, m_base)
    time_ = _ratio(d_actual, d_base)
    return ScenarioFigures(
        scenario=code,
        name=name,
        cases=cases,
        in_progress=open_,
        ended=cases - open_,
        completed=completed,
        by_status={s: n for s, (n, _) in sorted(by_status.items())},
        completion_rate=round(completed / (cases - open_), 4) if cases - open_ else None,
        materials_baseline=m_base,
        materials_provided=m_prov,
        material_reduction=material,
        baseline_days=_mean(d_base, completed),
        actual_days=_mean(d_actual, completed),
        median_days=percentile(histogram, 0.5),
        p90_days=percentile(histogram, 0.9),
        time_reduction=time_,
        applicant_days=_mean(done.get("applicant_days", 0.0), completed),
        department_days=_mean(done.get("department_days", 0.0), completed),
        breaches=int(total("breaches")),
        meets_material_target=None if material is None else material >= TARGETS.material_reduction,
        meets_time_target=None if time_ is None else time_ >= TARGETS.time_reduction,
    )


def _ratio(part: float, whole: float) -> float | None:
    """1 - part / whole, rounded, or None without a whole."""
    return round(1 - part / whole, 4) if whole else None


def _mean(total: float, n: int) -> float | None:
    return round(total / n, 4) if n else None


def scenario_figures(
    session: Session,
    period: Period,
    scenario: str | None = None,
    catalog: Catalog | None = None,
    source: Source = "rollups",
) -> tuple[list[ScenarioFigures], ScenarioFigures]:
    """Figures per scenario and in total."""
    grouped: dict[str, dict[str, tuple[int, dict[str, float]]]] = defaultdict(dict)
    for code, status, n, sums in _case_rows(session, period, scenario, source):
        grouped[code][status] = (n, sums)
    histograms = _histograms(session, period, scenario, source)
    per_scenario = [
        _figures(
            code, _scenario_name(catalog, code), grouped[code], histograms.get(code, Counter())
        )
        for code in sorted(grouped)
    ]
    merged: dict[str, tuple[int, dict[str, float]]] = {}
    for statuses in grouped.values():
        for status, (n, sums) in statuses.items():
            old_n, old = merged.get(status, (0, {}))
            merged[status] = (old_n + n, {k: old.get(k, 0.0) + v for k, v in sums.items()})
    histogram: Counter[int] = sum(histograms.values(), Counter())
    total = _figures("", Text(zh="合计", en="Total"), merged, histogram)
    return per_scenario, total


class ScenarioTotals(BaseModel):
    """One scenario's cases of all time, `submitted` ones included (GET /metrics/scenarios)."""

    scenario: str
    cases: int
    completed: int
    rejected: int
    in_progress: int  # submitted or running
    materials_baseline: int
    materials_provided: int
    material_reduction: float | None
    baseline_days: float  # Σ of the completed cases
    actual_days: float  # Σ of the completed cases
    time_reduction: float | None


def scenario_totals(session: Session, source: Source = "rollups") -> list[ScenarioTotals]:
    """Per scenario, every case of all time: those whose workflow started from the month
    rows of the rollups (or the case table), those whose workflow has not started yet (few:
    a case starts within a second) from the case table, down `ix_case_metrics`."""
    grouped: dict[str, dict[str, tuple[int, dict[str, float]]]] = defaultdict(dict)
    for code, status, n, sums in [
        *_case_rows(session, None, None, source),
        *_case_rows(session, None, None, "rows", started=False),
    ]:
        grouped[code][status] = (n, sums)
    totals = []
    for code, by_status in sorted(grouped.items()):
        count = {status: n for status, (n, _) in by_status.items()}
        done = by_status.get(CaseStatus.completed.value, (0, {}))[1]
        m_base, m_prov = (
            int(sum(sums[column] for _, sums in by_status.values()))
            for column in ("materials_baseline", "materials_provided")
        )
        d_base, d_actual = done.get("baseline_days", 0.0), done.get("actual_days", 0.0)
        totals.append(
            ScenarioTotals(
                scenario=code,
                cases=sum(count.values()),
                completed=count.get(CaseStatus.completed.value, 0),
                rejected=count.get(CaseStatus.rejected.value, 0),
                in_progress=sum(count.get(s, 0) for s in OPEN_STATUSES),
                materials_baseline=m_base,
                materials_provided=m_prov,
                material_reduction=_ratio(m_prov, m_base),
                baseline_days=d_base,
                actual_days=d_actual,
                time_reduction=_ratio(d_actual, d_base),
            )
        )
    return totals


# -- items and departments -----------------------------------------------------------


@dataclass
class _Case:
    id: str
    scenario: str
    scenario_version: int
    status: CaseStatus
    submitted_at: datetime
    completed_at: datetime | None = None
    materials_baseline: int = 0
    materials_provided: int = 0
    baseline_days: float = 0.0
    actual_days: float | None = None
    applicant_days: float = 0.0
    department_days: float = 0.0
    breaches: int = 0


@dataclass
class _Item:
    item: str
    department: str
    mode: str
    status: Any
    opened_at: datetime | None
    completed_at: datetime | None
    department_days: float
    applicant_days: float
    breached: bool
    decided_by: str | None
    elapsed_days: float | None


def _item_rows(
    session: Session,
    period: Period,
    scenario: str | None,
    source: Source,
    catalog: Catalog | None,
) -> dict[tuple[str, str], dict[str, float]]:
    """(department, item) -> the ItemDay sums of the period."""
    if source == "rollups":
        found = summed(
            session, rollups.ITEM_DAY, ("department", "item"), ITEM_SUMS, period, scenario
        )
        return {key: dict(zip(ITEM_SUMS, sums, strict=True)) for key, sums in found.items()}
    # From the case tables: every item of the period's ended cases, each case's critical
    # path computed here (what the rollups saved).
    start, end = period.bounds()
    query = (
        select(
            CASE.c.id,
            CASE.c.scenario,
            CASE.c.scenario_version,
            CASE.c.status,
            CASE.c.submitted_at,
            ITEM.c.item,
            ITEM.c.department,
            ITEM.c.mode,
            ITEM.c.status,
            ITEM.c.opened_at,
            ITEM.c.completed_at,
            ITEM.c.department_days,
            ITEM.c.applicant_days,
            ITEM.c.breached,
            ITEM.c.decided_by,
            ITEM.c.elapsed_days,
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
    clock = rollups.clock_of(catalog.calendar) if catalog else None
    requires: dict[tuple[str, int], dict[str, list[str]]] = {}
    total: rollups.Contribution = {}
    current: _Case | None = None
    items: list[_Item] = []

    def flush() -> None:
        if current is None:
            return
        key = (current.scenario, current.scenario_version)
        if key not in requires:
            requires[key] = rollups.requires_of(catalog, *key)
        assert clock is not None
        rows = rollups.contribution(current, items, requires[key], clock)
        rollups.accumulate(total, {k: v for k, v in rows.items() if k[0] == "rollup_item_day"})

    if clock is None:
        raise ValueError("the case tables need the catalog (calendar, dependencies)")
    for row in session.connection().execute(query).yield_per(50_000):
        if current is None or row[0] != current.id:
            flush()
            current = _Case(row[0], row[1], row[2], CaseStatus(_status(row[3])), row[4])
            items = []
        # _Item's fields (SQLAlchemy types only the first 10 columns of a select)
        item_columns: tuple[Any, ...] = row[5:]
        items.append(_Item(*item_columns))
    flush()
    result: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for (_, (_, _, department, item)), sums in total.items():
        summed_row = result[(department, item)]
        for column, amount in sums.items():
            summed_row[column] = summed_row.get(column, 0) + amount
    return result


def backlog(
    session: Session, now: datetime, scenario: str | None = None
) -> dict[str, dict[str, int]]:
    """Per department, now: open reviewed items, those waiting for a supplement, overdue."""
    waiting = ItemStatus.awaiting_review.value
    query = select(
        ITEM.c.department,
        func.count(),
        func.sum(case((ITEM.c.status == ItemStatus.awaiting_supplement.value, 1), else_=0)),
        func.sum(case((and_(ITEM.c.status == waiting, ITEM.c.due_at < now), 1), else_=0)),
    ).where(text(f"case_item.{OPEN_ITEMS}"))  # the partial index's condition, so it is used
    if not scenario:
        rows = session.connection().execute(query.group_by(ITEM.c.department))
        return {
            d: {"open": int(n), "awaiting_supplement": int(s or 0), "overdue": int(o or 0)}
            for d, n, s, o in rows
        }
    # One scenario: its open items, found among all open items (few) by their cases' keys,
    # rather than by a join the planner may start from the scenario's many cases.
    found = (
        session.connection()
        .execute(
            select(ITEM.c.case_id, ITEM.c.department, ITEM.c.status, ITEM.c.due_at).where(
                text(f"case_item.{OPEN_ITEMS}")
            )
        )
        .all()
    )
    ids = sorted({row[0] for row in found})
    mine: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        mine.update(
            session.connection().scalars(
                select(CASE.c.id).where(CASE.c.id.in_(chunk), CASE.c.scenario == scenario)
            )
        )
    result: dict[str, dict[str, int]] = {}
    for case_id, department, status, due_at in found:
        if case_id not in mine:
            continue
        counts = result.setdefault(department, {"open": 0, "awaiting_supplement": 0, "overdue": 0})
        status = _status(status)
        counts["open"] += 1
        counts["awaiting_supplement"] += status == ItemStatus.awaiting_supplement.value
        counts["overdue"] += bool(status == waiting and due_at is not None and due_at < now)
    return result


def item_drivers(
    session: Session,
    period: Period,
    scenario: str | None = None,
    catalog: Catalog | None = None,
    source: Source = "rollups",
    completed_days: float | None = None,
    completed_cases: int | None = None,
    rows: dict[tuple[str, str], dict[str, float]] | None = None,
) -> list[ItemDriver]:
    """Per item, what it adds to the completed cases' days, the largest first."""
    if rows is None:
        rows = _item_rows(session, period, scenario, source, catalog)
    if completed_days is None or completed_cases is None:
        _, total = scenario_figures(session, period, scenario, catalog, source)
        completed_days = (total.actual_days or 0.0) * total.completed
        completed_cases = total.completed
    drivers = [
        ItemDriver(
            item=item,
            name=_item_name(catalog, item),
            department=department,
            department_name=_department_name(catalog, department),
            items=int(s.get("items", 0)),
            mean_days=_mean(s.get("duration_days", 0.0), int(s.get("items", 0))),
            critical=int(s.get("critical", 0)),
            critical_days=round(s.get("critical_days", 0.0), 4),
            critical_applicant_days=round(s.get("critical_applicant_days", 0.0), 4),
            mean_critical_days=_mean(s.get("critical_days", 0.0), completed_cases),
            share_of_days=(
                round(s.get("critical_days", 0.0) / completed_days, 4) if completed_days else None
            ),
        )
        for (department, item), s in rows.items()
    ]
    return sorted(drivers, key=lambda d: (-d.critical_days, -(d.mean_days or 0), d.item))


def department_figures(
    session: Session,
    period: Period,
    scenario: str | None = None,
    catalog: Catalog | None = None,
    source: Source = "rollups",
    now: datetime | None = None,
    completed_days: float | None = None,
    rows: dict[tuple[str, str], dict[str, float]] | None = None,
) -> list[DepartmentFigures]:
    """SLA compliance of the period and the backlog of now, per department."""
    if rows is None:
        rows = _item_rows(session, period, scenario, source, catalog)
    if completed_days is None:
        _, total = scenario_figures(session, period, scenario, catalog, source)
        completed_days = (total.actual_days or 0.0) * total.completed
    sums: dict[str, dict[str, float]] = defaultdict(dict)
    for (department, _), s in rows.items():
        for column, amount in s.items():
            sums[department][column] = sums[department].get(column, 0) + amount
    live = backlog(session, now or datetime.now(UTC), scenario)
    figures = []
    for department in sorted(sums.keys() | live.keys()):
        s, b = sums.get(department, {}), live.get(department, {})
        reviewed, breached = int(s.get("reviewed", 0)), int(s.get("breached", 0))
        figures.append(
            DepartmentFigures(
                department=department,
                name=_department_name(catalog, department),
                reviewed=reviewed,
                breached=breached,
                sla_compliance=_ratio(breached, reviewed),
                items=int(s.get("items", 0)),
                mean_item_days=_mean(s.get("duration_days", 0.0), int(s.get("items", 0))),
                critical_days=round(s.get("critical_days", 0.0), 4),
                share_of_days=(
                    round(s.get("critical_days", 0.0) / completed_days, 4)
                    if completed_days
                    else None
                ),
                open=b.get("open", 0),
                awaiting_supplement=b.get("awaiting_supplement", 0),
                overdue=b.get("overdue", 0),
            )
        )
    return figures


def dashboard(
    session: Session,
    period: Period,
    scenario: str | None = None,
    catalog: Catalog | None = None,
    source: Source = "rollups",
    now: datetime | None = None,
) -> Dashboard:
    """Every figure of the reform dashboard for one period (and optionally one scenario)."""
    now = now or datetime.now(UTC)
    per_scenario, total = scenario_figures(session, period, scenario, catalog, source)
    rows = _item_rows(session, period, scenario, source, catalog)
    completed_days = (total.actual_days or 0.0) * total.completed
    return Dashboard(
        period=period,
        scenario=scenario,
        now=now,
        targets=TARGETS,
        scenarios=per_scenario,
        total=total,
        departments=department_figures(
            session, period, scenario, catalog, source, now, completed_days, rows
        ),
        drivers=item_drivers(
            session, period, scenario, catalog, source, completed_days, total.completed, rows
        ),
    )


class CaseLink(BaseModel):
    case_id: str
    scenario: str
    name: Text
    actual_days: float | None
    breaches: int


def slowest_cases(
    session: Session,
    period: Period,
    scenario: str | None = None,
    catalog: Catalog | None = None,
    limit: int = 8,
) -> list[CaseLink]:
    """The completed cases of the period that took the most working days (to open their
    traces). One query per scenario, each reading the (status, scenario, actual_days) index
    from its top until `limit` cases of the period are found."""
    start, end = period.bounds()
    if scenario:
        codes = [scenario]
    elif catalog is not None:
        codes = sorted({code for code, _ in catalog.scenarios})
    else:
        codes = [c for (c,) in session.connection().execute(select(CASE.c.scenario).distinct())]
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
    return [
        CaseLink(case_id=i, scenario=s, name=_scenario_name(catalog, s), actual_days=d, breaches=b)
        for i, s, d, b in found[:limit]
    ]


# -- a case's SLA trace ----------------------------------------------------------------


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
    """The SLA trace of one case: its items with start, end, promised limit, breach and the
    applicant's waits (supplement requested -> received/expired), and the critical path."""
    row = session.get(Case, case_id)
    if row is None:
        return None
    now = now or datetime.now(UTC)
    items = sorted(
        session.exec(select_rows(CaseItem).where(CaseItem.case_id == case_id)).all(),
        key=lambda i: i.position,
    )
    events = session.connection().execute(
        select(EVENT.c.item, EVENT.c.kind, EVENT.c.at)
        .where(
            EVENT.c.case_id == case_id,
            EVENT.c.kind.in_(
                [
                    EventKind.supplement_requested.value,
                    EventKind.supplement_received.value,
                    EventKind.supplement_expired.value,
                ]
            ),
        )
        .order_by(EVENT.c.at, EVENT.c.id)
    )
    clock = rollups.clock_of(catalog.calendar)
    waits: dict[str, list[Wait]] = defaultdict(list)
    for item, kind, at in events:
        kind = EventKind(_status(kind))
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
    requires = rollups.requires_of(catalog, row.scenario, row.scenario_version)
    timings = rollups.item_timings(row.submitted_at, items, requires, clock, completed=True)
    critical = sorted((c for c, t in timings.items() if t.critical), key=lambda c: timings[c].end)
    trace_items = []
    for item in items:
        timing = timings.get(item.item)
        start = timing.start if timing else item.opened_at
        known = catalog.items.get(item.item)
        status = _status(item.status)
        is_open = item.completed_at is None and status in (
            ItemStatus.awaiting_review.value,
            ItemStatus.awaiting_supplement.value,
            ItemStatus.running.value,
        )
        days = timing.days if timing else (clock.between(start, now) if start else None)
        trace_items.append(
            TraceItem(
                item=item.item,
                name=known.name if known else Text(zh=item.item, en=item.item),
                department=item.department,
                department_name=_department_name(catalog, item.department),
                mode=item.mode,
                status=status,
                requires=[
                    r for r in requires.get(item.item, []) if any(i.item == r for i in items)
                ],
                start=start,
                end=item.completed_at,
                days=round(days, 4) if days is not None else None,
                promised_days=float(known.promised_days) if known else None,
                due_at=item.due_at,
                breached=item.breached,
                overdue=bool(
                    is_open
                    and status == ItemStatus.awaiting_review.value
                    and item.due_at is not None
                    and item.due_at < now
                ),
                department_days=item.department_days,
                applicant_days=item.applicant_days,
                waits=waits.get(item.item, []),
                critical=item.item in critical,
            )
        )
    return Trace(
        case_id=row.id,
        scenario=row.scenario,
        name=_scenario_name(catalog, row.scenario),
        status=_status(row.status),
        submitted_at=row.submitted_at,
        completed_at=row.completed_at,
        now=now,
        actual_days=row.actual_days,
        baseline_days=row.baseline_days,
        applicant_days=row.applicant_days,
        department_days=row.department_days,
        breaches=row.breaches,
        critical_path=critical,
        items=trace_items,
    )


# -- names -----------------------------------------------------------------------------


def _status(value: Any) -> str:
    return value.value if hasattr(value, "value") else str(value)


def _scenario_name(catalog: Catalog | None, code: str) -> Text:
    scenario = catalog.scenario(code) if catalog else None
    return scenario.name if scenario else Text(zh=code, en=code)


def _item_name(catalog: Catalog | None, code: str) -> Text:
    item = catalog.items.get(code) if catalog else None
    return item.name if item else Text(zh=code, en=code)


def _department_name(catalog: Catalog | None, code: str) -> Text:
    department = catalog.departments.get(code) if catalog else None
    return department.name if department else Text(zh=code, en=code)
