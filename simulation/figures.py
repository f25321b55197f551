"""The run's figures, read from its read model (and the run's own tables) after it ended.

Everything the report shows comes from here, so anyone holding the run's database can check
it (docs/simulation.md gives the queries):

- cases: rows of `case`; completed: status `completed`.
- bundled days: `case.actual_days` of the completed cases (working days from submission to
  the end, as the workflow recorded them); median and p90 are nearest-rank.
- one-by-one days: `sim_baseline.days` of the same completed cases (drawn per case,
  simulation/baseline.py); the catalog's deterministic figure is `case.baseline_days`.
- time reduction: 1 - median bundled / median one-by-one; and, as the dashboard defines it,
  1 - sum(actual_days) / sum(baseline_days) over the completed cases.
- material reduction: 1 - sum(materials_provided) / sum(materials_baseline), every case.
- SLA: reviewed items a clerk decided (`decided_by`), share not `breached`.
- what drives the remaining days: per item, the working days it spent on the critical path
  of the completed cases (reporting/dashboard.py `item_drivers`, computed from the case tables),
  as a share of all their days; reviewed items split into the wait for a clerk, the clerk's
  time and the applicant's supplement time.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, overload

from pydantic import BaseModel
from sqlalchemy import Row, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from catalog.calendar import CHINA_TZ
from catalog.loader import Catalog
from catalog.models import Source
from catalog.reform import reform_figures
from catalog.targets import TARGETS
from domain import measures
from domain.statuses import EventKind
from domain.text import Text
from reporting.dashboard import item_drivers
from reporting.figures import ItemDriver
from reporting.period import Period
from simulation import store
from store.models import CASE, EVENT, ITEM

# rows of a select (any columns)
RunRows = Sequence[Row[*tuple[Any, ...]]]


class Summary(BaseModel):
    n: int
    mean: float | None
    median: float | None
    p90: float | None
    min: float | None
    max: float | None


class Bucket(BaseModel):
    low: float
    high: float
    cases: int


class ReviewFigures(BaseModel):
    """One reviewed item across the run."""

    item: str
    name: Text
    department: str
    department_name: Text
    promised_days: float
    tasks: int  # opened
    decided: int  # a clerk approved or rejected it
    rejected: int
    supplements: int  # supplement requests
    answered: int
    expired: int
    breached: int  # decided past the promised limit
    sla_compliance: float | None
    queue_days: float | None  # mean working days from the task opening to the claim
    clerk_days: float | None  # mean working days held by the department after the claim
    applicant_days: float | None  # mean applicant time of the items with a supplement
    applicant_days_per_task: float | None  # the same spread over every task
    item_days: float | None  # mean working days from opening to end


class Published(BaseModel):
    one_by_one: float
    bundled: float
    source: Source


class RunFigures(BaseModel):
    scenario: str
    version: int
    name: Text
    seed: int
    cases: int
    by_status: dict[str, int]
    completed: int
    ended: int
    completion_rate: float | None
    submitted_from: datetime | None
    submitted_to: datetime | None
    finished: datetime | None
    bundled: Summary  # end-to-end working days of the completed cases
    bundled_histogram: list[Bucket]
    one_by_one: Summary  # simulated one-by-one days of the same cases
    one_by_one_histogram: list[Bucket]
    catalog_baseline_days: float | None  # case.baseline_days (catalog/reform.py)
    promised_days: float  # the bundle's promise: longest chain of promised limits
    time_reduction: float | None  # 1 - median bundled / median one by one
    time_reduction_sums: float | None  # the dashboard's: 1 - sum actual / sum baseline_days
    materials_baseline: int
    materials_provided: int
    material_reduction: float | None
    materials_per_case: float | None
    fields_baseline: int
    fields_typed: int
    reviewed_decided: int
    breached: int
    sla_compliance: float | None
    applicant_days: float | None  # mean per completed case
    department_days: float | None
    drivers: list[ItemDriver]
    reviews: list[ReviewFigures]
    targets_material: float
    targets_time: float
    published: Published | None
    run: dict[str, object]  # seed, configuration, driver's figures, wall-clock seconds


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least q of the values at or
    below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def summary(values: list[float]) -> Summary:
    return Summary(
        n=len(values),
        mean=sum(values) / len(values) if values else None,
        median=percentile(values, 0.5),
        p90=percentile(values, 0.9),
        min=min(values) if values else None,
        max=max(values) if values else None,
    )


def histogram(values: list[float], width: float) -> list[Bucket]:
    """Counts per [low, high) bucket of `width`, from the lowest to the highest bucket."""
    if not values:
        return []
    counts = Counter(math.floor(v / width + 1e-9) for v in values)
    first, last = min(counts), max(counts)
    return [
        Bucket(low=round(k * width, 6), high=round((k + 1) * width, 6), cases=counts.get(k, 0))
        for k in range(first, last + 1)
    ]


def bucket_width(values: list[float], buckets: int = 16) -> float:
    """A round bucket width giving about `buckets` buckets over the values."""
    if not values:
        return 1.0
    spread = max(max(values) - min(values), 0.1)
    for width in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50):
        if spread / width <= buckets:
            return float(width)
    return 100.0


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@overload
def _aware(at: datetime) -> datetime: ...
@overload
def _aware(at: None) -> None: ...
def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _reviews(engine: Engine, catalog: Catalog) -> list[ReviewFigures]:
    clock = catalog.calendar
    with engine.connect() as connection:
        items = connection.execute(
            select(
                ITEM.c.case_id,
                ITEM.c.item,
                ITEM.c.department,
                ITEM.c.opened_at,
                ITEM.c.completed_at,
                ITEM.c.decided_by,
                ITEM.c.breached,
                ITEM.c.department_days,
                ITEM.c.applicant_days,
                ITEM.c.elapsed_days,
            ).where(ITEM.c.mode == "reviewed", ITEM.c.opened_at.is_not(None))
        ).all()
        events = connection.execute(
            select(EVENT.c.case_id, EVENT.c.item, EVENT.c.kind, EVENT.c.at)
            .where(
                EVENT.c.kind.in_(
                    [
                        EventKind.claimed.value,
                        EventKind.rejected.value,
                        EventKind.supplement_requested.value,
                        EventKind.supplement_received.value,
                        EventKind.supplement_expired.value,
                    ]
                )
            )
            .order_by(EVENT.c.at, EVENT.c.id)
        ).all()
    kinds: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    claimed: dict[tuple[str, str], datetime] = {}
    for case_id, item, kind, at in events:
        kind = getattr(kind, "value", kind)
        kinds[(case_id, item)][kind] += 1
        if kind == EventKind.claimed.value:
            claimed.setdefault((case_id, item), _aware(at))
    grouped: dict[str, list[Row[*tuple[Any, ...]]]] = defaultdict(list)
    for row in items:
        grouped[row.item].append(row)
    figures = []
    for code, rows in sorted(grouped.items()):
        known = catalog.items[code]
        decided = [r for r in rows if r.decided_by is not None]
        queue, clerk, applicant, whole = [], [], [], []
        applicant_all = [r.applicant_days for r in rows]
        for r in rows:
            key = (r.case_id, code)
            if key in claimed:
                queue.append(clock.working_days_between(_aware(r.opened_at), claimed[key]))
            if r.decided_by is not None and key in claimed:
                clerk.append(r.department_days - queue[-1])
            if kinds[key][EventKind.supplement_requested.value]:
                applicant.append(r.applicant_days)
            if r.elapsed_days is not None:
                whole.append(r.elapsed_days)
        breached = sum(1 for r in decided if r.breached)
        figures.append(
            ReviewFigures(
                item=code,
                name=known.name,
                department=known.department,
                department_name=catalog.departments[known.department].name,
                promised_days=float(known.promised_days),
                tasks=len(rows),
                decided=len(decided),
                rejected=sum(kinds[(r.case_id, code)][EventKind.rejected.value] for r in rows),
                supplements=sum(
                    kinds[(r.case_id, code)][EventKind.supplement_requested.value] for r in rows
                ),
                answered=sum(
                    kinds[(r.case_id, code)][EventKind.supplement_received.value] for r in rows
                ),
                expired=sum(
                    kinds[(r.case_id, code)][EventKind.supplement_expired.value] for r in rows
                ),
                breached=breached,
                sla_compliance=measures.sla_compliance(breached, len(decided)),
                queue_days=_mean(queue),
                clerk_days=_mean(clerk),
                applicant_days=_mean(applicant),
                applicant_days_per_task=_mean(applicant_all),
                item_days=_mean(whole),
            )
        )
    return figures


def run_figures(engine: Engine, catalog: Catalog) -> RunFigures:
    """Every figure of the run's report, from the run's database."""
    facts = store.facts(engine)
    scenario, version = str(facts["scenario"]), int(facts["version"])  # type: ignore[call-overload]
    spec = catalog.spec(scenario, version)
    assert spec is not None
    one_by_one = store.baselines(engine)
    cases, decided = _run_rows(engine, scenario)
    status = Counter(getattr(c.status, "value", c.status) for c in cases)
    completed = [c for c in cases if getattr(c.status, "value", c.status) == "completed"]
    ended = sum(n for s, n in status.items() if s not in ("submitted", "running"))
    bundled = [c.actual_days for c in completed]
    paired = [one_by_one[c.id] for c in completed if c.id in one_by_one]
    submitted = [_aware(c.submitted_at) for c in cases]
    finished = [_aware(c.completed_at) for c in cases if c.completed_at is not None]
    bundled_summary, one_summary = summary(bundled), summary(paired)
    breached = sum(1 for (b,) in decided if b)
    drivers = _drivers(engine, catalog, scenario, submitted, bundled) if completed else []
    return RunFigures(
        scenario=scenario,
        version=version,
        name=spec.name,
        seed=int(facts["seed"]),  # type: ignore[call-overload]
        cases=len(cases),
        by_status=dict(sorted(status.items())),
        completed=len(completed),
        ended=ended,
        completion_rate=len(completed) / ended if ended else None,
        submitted_from=min(submitted) if submitted else None,
        submitted_to=max(submitted) if submitted else None,
        finished=max(finished) if finished else None,
        bundled=bundled_summary,
        bundled_histogram=histogram(bundled, bucket_width(bundled)),
        one_by_one=one_summary,
        one_by_one_histogram=histogram(paired, bucket_width(paired)),
        catalog_baseline_days=_mean([c.baseline_days for c in cases]),
        promised_days=reform_figures(catalog, spec).promised_days,
        time_reduction=(
            measures.time_reduction(bundled_summary.median, one_summary.median)
            if bundled_summary.median is not None and one_summary.median
            else None
        ),
        time_reduction_sums=measures.time_reduction(
            sum(bundled), sum(c.baseline_days for c in completed)
        ),
        materials_baseline=sum(c.materials_baseline for c in cases),
        materials_provided=sum(c.materials_provided for c in cases),
        material_reduction=measures.material_reduction(
            sum(c.materials_provided for c in cases), sum(c.materials_baseline for c in cases)
        ),
        materials_per_case=_mean([float(c.materials_provided) for c in cases]),
        fields_baseline=sum(c.fields_baseline for c in cases),
        fields_typed=sum(c.fields_typed for c in cases),
        reviewed_decided=len(decided),
        breached=breached,
        sla_compliance=measures.sla_compliance(breached, len(decided)),
        applicant_days=_mean([c.applicant_days for c in completed]),
        department_days=_mean([c.department_days for c in completed]),
        drivers=drivers,
        reviews=_reviews(engine, catalog),
        targets_material=TARGETS.material_reduction,
        targets_time=TARGETS.time_reduction,
        published=_published(scenario),
        run={k: v for k, v in facts.items() if k not in ("scenario", "version")},
    )


def _run_rows(engine: Engine, scenario: str) -> tuple[RunRows, RunRows]:
    """The run's cases (the columns the figures read) and the breach flag of every review
    a clerk decided."""
    with engine.connect() as connection:
        cases = connection.execute(
            select(
                CASE.c.id,
                CASE.c.status,
                CASE.c.submitted_at,
                CASE.c.completed_at,
                CASE.c.actual_days,
                CASE.c.baseline_days,
                CASE.c.materials_baseline,
                CASE.c.materials_provided,
                CASE.c.fields_baseline,
                CASE.c.fields_typed,
                CASE.c.applicant_days,
                CASE.c.department_days,
            ).where(CASE.c.scenario == scenario)
        ).all()
        decided = connection.execute(
            select(ITEM.c.breached).where(ITEM.c.mode == "reviewed", ITEM.c.decided_by.is_not(None))
        ).all()
    return cases, decided


def _drivers(
    engine: Engine,
    catalog: Catalog,
    scenario: str,
    submitted: list[datetime],
    bundled: list[float],
) -> list[ItemDriver]:
    """What drives the completed cases' days (the dashboard's `item_drivers`, from the case
    tables), over the China days the run's cases were submitted on."""
    period = Period(
        start=min(submitted).astimezone(CHINA_TZ).date(),
        end=max(submitted).astimezone(CHINA_TZ).date(),
    )
    with Session(engine) as session:
        return item_drivers(
            session,
            period,
            scenario,
            catalog,
            source="rows",
            completed_days=sum(bundled),
            completed_cases=len(bundled),
        )


def _published(scenario: str) -> Published | None:
    """The city's published one-by-one and bundled days, for the scenario they are about."""
    if scenario != "newborn":
        return None
    return Published(
        one_by_one=TARGETS.newborn_days_before,
        bundled=TARGETS.newborn_days_after,
        source=TARGETS.source,
    )
