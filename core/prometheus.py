"""Prometheus figures of the read model, computed where they are true.

The API process serves `/metrics`, but transitions are written by the workers: per-process
counters in either would be wrong. So the collector asks the read model at each scrape, with
four GROUP BY queries that read indexes rather than the tables: `ix_case_metrics` and
`ix_case_item_metrics` cover their queries, and `ix_case_item_breached` holds only breaches.

- cases_started_total{scenario}: cases whose workflow started
- cases_completed_total{scenario,status}: cases that ended, by final status
- item_breaches_total{department,item}: items that passed their promised limit
- item_duration_working_days{department,item,mode}: done items, ready to done
- case_duration_working_days{scenario}: completed cases, submission to completion
"""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import case as when
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from activities.models import CaseStatus, ItemStatus
from store.models import Case, CaseItem

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
        by_scenario: dict[str, int] = {}
        for status, scenario, count in session.exec(
            select(Case.status, Case.scenario, func.count()).group_by(Case.status, Case.scenario)
        ):
            status = CaseStatus(status)
            if status is not CaseStatus.submitted:
                by_scenario[scenario] = by_scenario.get(scenario, 0) + count
            if status not in OPEN:
                completed.add_metric([scenario, status.value], count)
        for scenario, count in sorted(by_scenario.items()):
            started.add_metric([scenario], count)
        yield started
        yield completed
        duration = HistogramMetricFamily(
            "case_duration_working_days",
            "Working days from submission to completion of completed cases.",
            labels=["scenario"],
        )
        _histogram(
            duration,
            session.exec(
                select(
                    Case.scenario,
                    func.count(),
                    func.sum(Case.actual_days),
                    *_buckets(Case.actual_days),
                )
                .where(Case.status == CaseStatus.completed, Case.actual_days.is_not(None))  # type: ignore[union-attr]
                .group_by(Case.scenario)
            ).all(),
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
