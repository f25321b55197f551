"""The reform dashboard's figures (docs/dashboard.md), assembled from the sums of a period.

Every figure of a period (cases submitted from `start` to `end`, China days, inclusive) comes
from the pre-aggregated rows of reporting/rollups.py (reporting/queries.py reads them). The
same functions with `source="rows"` compute the same figures from the case tables themselves
(reporting/case_tables.py): the reference the benchmark compares against (bench/dashboard.py).
The ratios are those of domain/measures.py.

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
from datetime import UTC, datetime

from sqlmodel import Session

from catalog.loader import Catalog
from catalog.targets import TARGETS
from domain import measures
from domain.statuses import CaseStatus
from domain.text import Text
from reporting import case_tables, queries
from reporting.figures import (
    CaseLink,
    Dashboard,
    DepartmentFigures,
    ItemDriver,
    ScenarioFigures,
    ScenarioTotals,
)
from reporting.names import department_name, item_name, scenario_name
from reporting.period import Period
from reporting.queries import OPEN_STATUSES, CaseSums, ItemSums, Source

# status -> (cases, their sums)
ByStatus = dict[str, tuple[int, dict[str, float]]]


def _case_rows(
    session: Session, period: Period | None, scenario: str | None, source: Source
) -> list[CaseSums]:
    if source == "rollups":
        return queries.case_rows(session, period, scenario)
    return case_tables.case_rows(session, period, scenario)


def _histograms(
    session: Session, period: Period, scenario: str | None, source: Source
) -> dict[str, Counter[int]]:
    if source == "rollups":
        return queries.histograms(session, period, scenario)
    return case_tables.histograms(session, period, scenario)


def _item_rows(
    session: Session,
    period: Period,
    scenario: str | None,
    source: Source,
    catalog: Catalog | None,
) -> ItemSums:
    if source == "rollups":
        return queries.item_rows(session, period, scenario)
    return case_tables.item_rows(session, period, scenario, catalog)


# -- scenarios ------------------------------------------------------------------------


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
    code: str, name: Text, by_status: ByStatus, histogram: Counter[int]
) -> ScenarioFigures:
    cases = sum(n for n, _ in by_status.values())
    open_ = sum(by_status.get(s, (0, {}))[0] for s in OPEN_STATUSES)
    completed, done = by_status.get(CaseStatus.completed.value, (0, {}))

    def total(column: str) -> float:
        return sum(sums.get(column, 0.0) for _, sums in by_status.values())

    m_base, m_prov = int(total("materials_baseline")), int(total("materials_provided"))
    d_base, d_actual = done.get("baseline_days", 0.0), done.get("actual_days", 0.0)
    material = measures.rounded(measures.material_reduction(m_prov, m_base))
    time_ = measures.rounded(measures.time_reduction(d_actual, d_base))
    return ScenarioFigures(
        scenario=code,
        name=name,
        cases=cases,
        in_progress=open_,
        ended=cases - open_,
        completed=completed,
        by_status={s: n for s, (n, _) in sorted(by_status.items())},
        completion_rate=measures.rounded(measures.share(completed, cases - open_)),
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


def _mean(total: float, n: int) -> float | None:
    return measures.rounded(total / n) if n else None


def _by_scenario(rows: list[CaseSums]) -> dict[str, ByStatus]:
    grouped: dict[str, ByStatus] = defaultdict(dict)
    for code, status, n, sums in rows:
        grouped[code][status] = (n, sums)
    return grouped


def _merged(grouped: dict[str, ByStatus]) -> ByStatus:
    """Every scenario's cases and sums added up per status."""
    merged: ByStatus = {}
    for statuses in grouped.values():
        for status, (n, sums) in statuses.items():
            old_n, old = merged.get(status, (0, {}))
            merged[status] = (old_n + n, {k: old.get(k, 0.0) + v for k, v in sums.items()})
    return merged


def scenario_figures(
    session: Session,
    period: Period,
    scenario: str | None = None,
    catalog: Catalog | None = None,
    source: Source = "rollups",
) -> tuple[list[ScenarioFigures], ScenarioFigures]:
    """Figures per scenario and in total."""
    grouped = _by_scenario(_case_rows(session, period, scenario, source))
    histograms = _histograms(session, period, scenario, source)
    per_scenario = [
        _figures(code, scenario_name(catalog, code), grouped[code], histograms.get(code, Counter()))
        for code in sorted(grouped)
    ]
    histogram: Counter[int] = sum(histograms.values(), Counter())
    total = _figures("", Text(zh="合计", en="Total"), _merged(grouped), histogram)
    return per_scenario, total


def scenario_totals(session: Session, source: Source = "rollups") -> list[ScenarioTotals]:
    """Per scenario, every case of all time: those whose workflow started from the month
    rows of the rollups (or the case table), those whose workflow has not started yet (few:
    a case starts within a second) from the case table, down `ix_case_metrics`."""
    grouped = _by_scenario(
        [
            *_case_rows(session, None, None, source),
            *case_tables.case_rows(session, None, None, started=False),
        ]
    )
    return [_totals(code, by_status) for code, by_status in sorted(grouped.items())]


def _totals(code: str, by_status: ByStatus) -> ScenarioTotals:
    count = {status: n for status, (n, _) in by_status.items()}
    done = by_status.get(CaseStatus.completed.value, (0, {}))[1]
    m_base, m_prov = (
        int(sum(sums[column] for _, sums in by_status.values()))
        for column in ("materials_baseline", "materials_provided")
    )
    d_base, d_actual = done.get("baseline_days", 0.0), done.get("actual_days", 0.0)
    return ScenarioTotals(
        scenario=code,
        cases=sum(count.values()),
        completed=count.get(CaseStatus.completed.value, 0),
        rejected=count.get(CaseStatus.rejected.value, 0),
        in_progress=sum(count.get(s, 0) for s in OPEN_STATUSES),
        materials_baseline=m_base,
        materials_provided=m_prov,
        material_reduction=measures.rounded(measures.material_reduction(m_prov, m_base)),
        baseline_days=d_base,
        actual_days=d_actual,
        time_reduction=measures.rounded(measures.time_reduction(d_actual, d_base)),
    )


# -- items and departments -----------------------------------------------------------


def _completed(
    session: Session, period: Period, scenario: str | None, catalog: Catalog | None, source: Source
) -> tuple[float, int]:
    """The period's completed cases: their end-to-end working days in all, and how many."""
    _, total = scenario_figures(session, period, scenario, catalog, source)
    return (total.actual_days or 0.0) * total.completed, total.completed


def item_drivers(
    session: Session,
    period: Period,
    scenario: str | None = None,
    catalog: Catalog | None = None,
    source: Source = "rollups",
    completed_days: float | None = None,
    completed_cases: int | None = None,
    rows: ItemSums | None = None,
) -> list[ItemDriver]:
    """Per item, what it adds to the completed cases' days, the largest first."""
    if rows is None:
        rows = _item_rows(session, period, scenario, source, catalog)
    if completed_days is None or completed_cases is None:
        completed_days, completed_cases = _completed(session, period, scenario, catalog, source)
    drivers = [
        ItemDriver(
            item=item,
            name=item_name(catalog, item),
            department=department,
            department_name=department_name(catalog, department),
            items=int(s.get("items", 0)),
            mean_days=_mean(s.get("duration_days", 0.0), int(s.get("items", 0))),
            critical=int(s.get("critical", 0)),
            critical_days=round(s.get("critical_days", 0.0), 4),
            critical_applicant_days=round(s.get("critical_applicant_days", 0.0), 4),
            mean_critical_days=_mean(s.get("critical_days", 0.0), completed_cases),
            share_of_days=measures.rounded(
                measures.share(s.get("critical_days", 0.0), completed_days)
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
    rows: ItemSums | None = None,
) -> list[DepartmentFigures]:
    """SLA compliance of the period and the backlog of now, per department."""
    if rows is None:
        rows = _item_rows(session, period, scenario, source, catalog)
    if completed_days is None:
        completed_days, _ = _completed(session, period, scenario, catalog, source)
    sums: dict[str, dict[str, float]] = defaultdict(dict)
    for (department, _), s in rows.items():
        for column, amount in s.items():
            sums[department][column] = sums[department].get(column, 0) + amount
    live = queries.backlog(session, now or datetime.now(UTC), scenario)
    return [
        _department(
            department,
            department_name(catalog, department),
            sums.get(department, {}),
            live.get(department, {}),
            completed_days,
        )
        for department in sorted(sums.keys() | live.keys())
    ]


def _department(
    code: str, name: Text, s: dict[str, float], backlog: dict[str, int], completed_days: float
) -> DepartmentFigures:
    reviewed, breached = int(s.get("reviewed", 0)), int(s.get("breached", 0))
    return DepartmentFigures(
        department=code,
        name=name,
        reviewed=reviewed,
        breached=breached,
        sla_compliance=measures.rounded(measures.sla_compliance(breached, reviewed)),
        items=int(s.get("items", 0)),
        mean_item_days=_mean(s.get("duration_days", 0.0), int(s.get("items", 0))),
        critical_days=round(s.get("critical_days", 0.0), 4),
        share_of_days=measures.rounded(measures.share(s.get("critical_days", 0.0), completed_days)),
        open=backlog.get("open", 0),
        awaiting_supplement=backlog.get("awaiting_supplement", 0),
        overdue=backlog.get("overdue", 0),
    )


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


def slowest_cases(
    session: Session,
    period: Period,
    scenario: str | None = None,
    catalog: Catalog | None = None,
    limit: int = 8,
) -> list[CaseLink]:
    """The completed cases of the period that took the most working days (to open their
    traces)."""
    if scenario:
        codes = [scenario]
    elif catalog is not None:
        codes = sorted({code for code, _ in catalog.scenarios})
    else:
        codes = queries.scenario_codes(session)
    return [
        CaseLink(case_id=i, scenario=s, name=scenario_name(catalog, s), actual_days=d, breaches=b)
        for i, s, d, b in queries.slowest_completed(session, period, codes, limit)
    ]
