"""Prometheus figures of the read model, computed where they are true.

The API process serves `/metrics`, but transitions are written by the workers: per-process
counters in either would be wrong. So the collector asks the read model at each scrape. It
reads the month rows of the rollups (store/rollups.py, kept in the transaction of each case
transition; their size does not grow with the cases), plus the items of the cases still open
(their items are added to the rollups when the case ends), in one snapshot so that a case
ending meanwhile counts once (a counter going back would read as a reset).

- cases_started_total{scenario}: cases whose workflow started
- cases_completed_total{scenario,status}: cases that ended, by final status
- item_breaches_total{department,item}: items that passed their promised limit
- item_duration_working_days{department,item,mode}: done items, ready to done
- case_duration_working_days{scenario}: completed cases, submission to completion (from the
  dashboard's histogram of working days rounded up to a tenth: the bounds are whole tenths,
  so each case falls in the bucket its exact days would)
- onego_tasks_open{department}: the backlog now, review tasks open (waiting for the
  department or for the applicant's supplement), as the dashboard counts it
- onego_tasks_overdue{department}: open tasks waiting for the department past their due time

The API process also counts the requests it serves (`RequestMetrics`, per process, which is
true of requests): onego_http_requests_total{method,route,status} and
onego_http_request_duration_seconds{method,route}. `route` is the route's template
(`/api/v1/cases/{case_id}`), never the path asked for: no id or personal data in a label.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter

from opentelemetry.instrumentation.utils import suppress_instrumentation
from prometheus_client import Counter
from prometheus_client import Histogram as HistogramMetric
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.statuses import CaseStatus
from reporting import rollups
from reporting.queries import backlog, summed
from store.models import CASE, ITEM

BOUNDS = rollups.DURATION_BUCKETS
OPEN = (CaseStatus.submitted, CaseStatus.running)
ITEM_SUMS = ("items", "elapsed_days", "breached")


@dataclass
class Histogram:
    """One label set's observations per bucket (the index of the first bound not below
    them; len(BOUNDS) above them all) and their sum."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(BOUNDS) + 1))
    sum: float = 0.0

    def add(self, bucket: int, count: float, total: float) -> None:
        self.counts[bucket] += int(count)
        self.sum += total


def _histogram(
    name: str, documentation: str, labels: list[str], found: Mapping[tuple[str, ...], Histogram]
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=labels)
    for values, histogram in sorted(found.items()):
        if not sum(histogram.counts):
            continue
        cumulative, buckets = 0, []
        for bound, count in zip([*map(str, BOUNDS), "+Inf"], histogram.counts, strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        family.add_metric(list(values), buckets=buckets, sum_value=histogram.sum)
    return family


def _snapshot(session: Session) -> None:
    """Make the session's reads one snapshot: REPEATABLE READ on PostgreSQL, an explicit
    BEGIN on SQLite (whose driver opens no transaction for reads)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        session.connection().exec_driver_sql("BEGIN")


class ReadModelCollector(Collector):
    """Collects onego's counters and histograms from the read model on every scrape."""

    def __init__(self, engine: Engine):
        self._engine = engine

    def describe(self) -> list[Metric]:
        return []  # no query at registration

    def collect(self) -> Iterator[Metric]:
        # The scrape's own SQL is not traced: it would make a trace per scrape.
        with suppress_instrumentation(), Session(self._engine) as session:
            _snapshot(session)
            yield from self._cases(session)
            yield from self._items(session)
            yield from self._backlog(session)

    def _backlog(self, session: Session) -> Iterator[Metric]:
        open_now = GaugeMetricFamily(
            "onego_tasks_open",
            "Review tasks open now (waiting for the department or the applicant), by department.",
            labels=["department"],
        )
        overdue = GaugeMetricFamily(
            "onego_tasks_overdue",
            "Open review tasks waiting for the department past their due time.",
            labels=["department"],
        )
        for department, counts in sorted(backlog(session, datetime.now(UTC)).items()):
            open_now.add_metric([department], counts["open"])
            overdue.add_metric([department], counts["overdue"])
        yield open_now
        yield overdue

    def _cases(self, session: Session) -> Iterator[Metric]:
        started = CounterMetricFamily(
            "cases_started", "Cases whose workflow started.", labels=["scenario"]
        )
        completed = CounterMetricFamily(
            "cases_completed", "Cases that ended, by final status.", labels=["scenario", "status"]
        )
        by_scenario: dict[str, int] = defaultdict(int)
        durations: dict[tuple[str, ...], Histogram] = defaultdict(Histogram)
        for (scenario, status), (count, days) in sorted(
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
                durations[(scenario,)].sum = days
        for scenario, count in sorted(by_scenario.items()):
            started.add_metric([scenario], count)
        yield started
        yield completed
        for (scenario, tenths), (count,) in summed(
            session, rollups.CASE_DAYS, ("scenario", "tenths"), ("cases",), None
        ).items():
            durations[(scenario,)].add(bisect_left(BOUNDS, tenths / 10), count, 0.0)
        yield _histogram(
            "case_duration_working_days",
            "Working days from submission to completion of completed cases.",
            ["scenario"],
            durations,
        )

    def _items(self, session: Session) -> Iterator[Metric]:
        # ended cases' items from the rollup, by bucket; open cases' items from the tables
        found = summed(
            session, rollups.ITEM_DONE, ("department", "item", "mode", "bucket"), ITEM_SUMS, None
        )
        open_items = session.connection().execute(
            select(
                ITEM.c.department,
                ITEM.c.item,
                ITEM.c.mode,
                ITEM.c.status,
                ITEM.c.elapsed_days,
                ITEM.c.breached,
            )
            .join(CASE, CASE.c.id == ITEM.c.case_id)
            .where(CASE.c.status.in_(OPEN))
        )
        for department, item, mode, status, days, breached in open_items:
            bucket = rollups.done_bucket(status, days, breached)
            if bucket is not None:
                amounts = found.setdefault((department, item, mode, bucket[0]), [0, 0.0, 0])
                for i, column in enumerate(ITEM_SUMS):
                    amounts[i] += bucket[1][column]
        breaches: dict[tuple[str, str], int] = defaultdict(int)
        durations: dict[tuple[str, ...], Histogram] = defaultdict(Histogram)
        for (department, item, mode, bucket), (count, days, breached) in found.items():
            breaches[(department, item)] += int(breached)
            if bucket != rollups.NOT_DONE:
                durations[(department, item, mode)].add(bucket, count, days)
        family = CounterMetricFamily(
            "item_breaches",
            "Items that passed their promised limit (SLA breaches).",
            labels=["department", "item"],
        )
        for labels, count in sorted(breaches.items()):
            if count:
                family.add_metric(list(labels), count)
        yield family
        yield _histogram(
            "item_duration_working_days",
            "Working days from an item being ready (task opened) to done.",
            ["department", "item", "mode"],
            durations,
        )


class RequestMetrics:
    """ASGI middleware counting the HTTP requests served and their durations, labelled by
    method, route template and status. Its registry is the app's (`registry_for` adds the
    read model's collector to it once the engine exists)."""

    UNMATCHED = "unmatched"  # no route: never the path asked for

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "onego_http_requests",
            "HTTP requests served, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = HistogramMetric(
            "onego_http_request_duration_seconds",
            "Time to serve an HTTP request, by method and route template.",
            ["method", "route"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method, route = scope["method"], route_template(scope)
            self.requests.labels(method, route, str(status)).inc()
            self.duration.labels(method, route).observe(perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The template of the route that served the request (`/static/{path}` for a file of a
    mount), `unmatched` when none did.

    A route of an included router knows its own path only (`/{case_id}`), not the
    router's prefixes: those are the literal start of the path left of where the route's
    pattern matches it (the project's prefixes hold no parameter)."""
    route, path = scope.get("route"), scope.get("path", "")
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    pattern, own = getattr(route, "path_regex", None), getattr(route, "path", None)
    if pattern is None or not own:
        return RequestMetrics.UNMATCHED
    for at in (i for i, char in enumerate(path) if char == "/"):
        if pattern.fullmatch(path[at:]):
            return path[:at] + own
    return own


def registry_for(engine: Engine, registry: CollectorRegistry | None = None) -> CollectorRegistry:
    """A registry of the read model's figures (one per app, not the process-global one),
    added to `registry` when given (the one of the app's `RequestMetrics`)."""
    registry = registry or CollectorRegistry(auto_describe=True)
    registry.register(ReadModelCollector(engine))
    return registry
