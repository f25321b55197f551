"""Prometheus figures of the read model, computed where they are true.

The API process serves `/metrics`, but transitions are written by the workers: per-process
counters in either would be wrong. So the collector asks the read model at each scrape. The
case figures come from the month rows of the dashboard's rollups (store/rollups.py, kept in
the transaction of each case transition; their size does not grow with the cases). The item
figures are two GROUP BY queries that read indexes rather than the table, one entry per done
or breached item: `ix_case_item_metrics` covers its query, `ix_case_item_breached` holds only
breaches (no rollup holds these yet: `rollup_item_day` has ended cases' items only, without
the histogram's buckets).

- cases_started_total{scenario}: cases whose workflow started
- cases_completed_total{scenario,status}: cases that ended, by final status
- item_breaches_total{department,item}: items that passed their promised limit
- item_duration_working_days{department,item,mode}: done items, ready to done
- case_duration_working_days{scenario}: completed cases, submission to completion (from the
  dashboard's histogram of working days rounded up to a tenth: the bounds are whole tenths,
  so each case falls in the bucket its exact days would)
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import case as when
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from activities.models import CaseStatus, ItemStatus
from store import rollups
from store.dashboard import summed
from store.models import CaseItem

# Working days: automatic items take minutes, reviews days, one-by-one paths months.
DAY_BUCKETS = (0.1, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 90.0)
OPEN = (CaseStatus.submitted, CaseStatus.running)


def _buckets(column: Any) -> list[Any]:
    return [func.sum(when((column <= bound, 1), else_=0)) for bound in DAY_BUCKETS]


def _histogram(family: HistogramMetricFamily, rows: Iterable[Sequence[Any]], labels: int) -> None:
    for row in rows:
        count, total, cumulative = row[labels], row[labels + 1], row[labels + 2 :]
        buckets = [(str(b), int(c or 0)) for b, c in zip(DAY_BUCKETS, cumulative, strict=True)]
        family.add_metric(
            [str(v) for v in row[:labels]],
            buckets=[*buckets, ("+Inf", int(count))],
            sum_value=float(total or 0.0),
        )


class ReadModelCollector(Collector):
    """Collects onego's counters and histograms from the read model on every scrape."""

    def __init__(self, engine: Engine):
        self._engine = engine

    def describe(self) -> list[Metric]:
        return []  # no query at registration

    def collect(self) -> Iterator[Metric]:
        # The scrape's own SQL is not traced: it would make a trace per scrape.
        with suppress_instrumentation(), Session(self._engine) as session:
            yield from self._cases(session)
            yield from self._items(session)

    def _cases(self, session: Session) -> Iterator[Metric]:
        started = CounterMetricFamily(
            "cases_started", "Cases whose workflow started.", labels=["scenario"]
        )
        completed = CounterMetricFamily(
            "cases_completed", "Cases that ended, by final status.", labels=["scenario", "status"]
        )
        by_scenario: dict[str, int] = defaultdict(int)
        days: dict[str, float] = {}
        for (scenario, status), (count, total) in sorted(
            summed(
                session, rollups.CASE_DAY, ("scenario", "status"), ("cases", "actual_days"), None
            ).items()
        ):
            if not count:
                continue
            by_scenario[scenario] += int(count)
            if CaseStatus(status) not in OPEN:
                completed.add_metric([scenario, status], count)
            if status == CaseStatus.completed:
                days[scenario] = total
        for scenario, count in sorted(by_scenario.items()):
            started.add_metric([scenario], count)
        yield started
        yield completed
        # per scenario: completed cases in each bucket (the last: above every bound)
        buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(DAY_BUCKETS) + 1))
        for (scenario, tenths), (count,) in summed(
            session, rollups.CASE_DAYS, ("scenario", "tenths"), ("cases",), None
        ).items():
            buckets[scenario][bisect_left(DAY_BUCKETS, tenths / 10)] += int(count)
        duration = HistogramMetricFamily(
            "case_duration_working_days",
            "Working days from submission to completion of completed cases.",
            labels=["scenario"],
        )
        _histogram(
            duration,
            (
                (scenario, sum(counts), days.get(scenario, 0.0), *accumulate(counts[:-1]))
                for scenario, counts in sorted(buckets.items())
                if sum(counts)
            ),
            1,
        )
        yield duration

    def _items(self, session: Session) -> Iterator[Metric]:
        breaches = CounterMetricFamily(
            "item_breaches",
            "Items that passed their promised limit (SLA breaches).",
            labels=["department", "item"],
        )
        for department, item, count in session.exec(
            select(CaseItem.department, CaseItem.item, func.count())
            .where(text("breached = 1" if self._engine.dialect.name == "sqlite" else "breached"))
            .group_by(CaseItem.department, CaseItem.item)
        ):
            breaches.add_metric([department, item], count)
        yield breaches
        duration = HistogramMetricFamily(
            "item_duration_working_days",
            "Working days from an item being ready (task opened) to done.",
            labels=["department", "item", "mode"],
        )
        _histogram(
            duration,
            session.exec(
                select(
                    CaseItem.department,
                    CaseItem.item,
                    CaseItem.mode,
                    func.count(),
                    func.sum(CaseItem.elapsed_days),
                    *_buckets(CaseItem.elapsed_days),
                )
                .where(CaseItem.status == ItemStatus.done, CaseItem.elapsed_days.is_not(None))  # type: ignore[union-attr]
                .group_by(CaseItem.department, CaseItem.item, CaseItem.mode)
            ).all(),
            3,
        )
        yield duration


def registry_for(engine: Engine) -> CollectorRegistry:
    """A registry of the read model's figures (one per app, not the process-global one)."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(ReadModelCollector(engine))
    return registry
