"""`/metrics`: the read model's counters, histograms and backlog gauges, and the API's request
metrics, in the Prometheus text format."""

import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from catalog.loader import get_catalog
from domain.statuses import CaseStatus, ItemStatus
from observability.prometheus import BOUNDS, ReadModelCollector
from runtime.settings import Settings
from simulation.seed import seed_cases
from store.models import Case, CaseItem, Role
from tests.conftest import DB_BACKENDS, Workers, fresh_database
from tests.helpers import Api, running_api

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(params=DB_BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A read model of each test here alone: the API starts the workflow of every case stored
    as submitted when it starts, so cases that other tests stored so would count here."""
    with fresh_database(request.param, tmp_path) as engine:
        yield engine


REGISTRATION = {"department": "public-security", "item": "household_registration"}
OPEN_TASKS = (ItemStatus.awaiting_review, ItemStatus.awaiting_supplement)


def _aware(at: datetime | None) -> datetime:
    """A stored time as UTC (SQLite gives it back naive); no due time: never overdue."""
    if at is None:
        return datetime.max.replace(tzinfo=UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


async def scrape(api: Api, **headers: str) -> dict[tuple[str, frozenset], float]:
    response = await api.http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_a_completed_case(api: Api, workers: Workers) -> None:
    before = await scrape(api)
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    created = await api.submit(applicant)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    await api.wait_for_review(applicant, case_id)
    await api.approve(clerk, case_id)
    await api.wait_case(applicant, case_id, lambda c: c["status"] == "completed")
    after = await scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("cases_started_total", scenario="newborn") == 1
    assert delta("cases_completed_total", scenario="newborn", status="completed") == 1
    assert delta("case_duration_working_days_count", scenario="newborn") == 1
    assert delta("case_duration_working_days_bucket", scenario="newborn", le="+Inf") == 1
    reviewed = {**REGISTRATION, "mode": "reviewed"}
    assert delta("item_duration_working_days_count", **reviewed) == 1
    # the review took seconds: it falls in the smallest bucket, as every bucket above it
    assert delta("item_duration_working_days_bucket", **reviewed, le="0.1") == 1
    automatic = {"department": "health", "item": "childbirth_registration", "mode": "automatic"}
    assert delta("item_duration_working_days_count", **automatic) == 1
    assert delta("item_breaches_total", **REGISTRATION) == 0
    # every family is present even when no case of a label set exists yet
    names = {name for name, _ in after}
    assert {"cases_started_total", "item_duration_working_days_sum"} <= names


async def test_request_metrics_by_route_template(api: Api, workers: Workers) -> None:
    """Requests are counted by method, route template and status: a case's address is
    counted under `/api/v1/cases/{case_ref}`, never its id; an address no route serves under
    `unmatched`, never itself."""
    applicant = await api.account(Role.applicant)
    created = await api.submit(applicant)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    before = await scrape(api)
    for _ in range(2):
        await api.case(applicant, case_id)
    missing = await api.http.get(f"/no-such-page/{case_id}")
    assert missing.status_code == 404
    after = await scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # the route's template, whatever its parameter is called
    (route,) = {
        labels["route"]
        for name, label_set in after
        if name == "onego_http_requests_total"
        and re.fullmatch(r"/api/v1/cases/\{\w+\}", (labels := dict(label_set))["route"])
    }
    read = {"method": "GET", "route": route}
    assert delta("onego_http_requests_total", **read, status="200") == 2
    assert delta("onego_http_request_duration_seconds_count", **read) == 2
    assert delta("onego_http_request_duration_seconds_bucket", **read, le="+Inf") == 2
    assert delta("onego_http_requests_total", method="GET", route="unmatched", status="404") == 1
    # the scrape before this one is counted too, under its own route
    assert delta("onego_http_requests_total", method="GET", route="/metrics", status="200") == 1
    assert (
        value(
            after, "onego_http_requests_total", method="POST", route="/api/v1/cases", status="201"
        )
        >= 1
    )
    labels = {v for _, sample_labels in after for _, v in sample_labels}
    assert not any(case_id in label for label in labels)


async def test_metrics_token(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    guarded = settings.model_copy(update={"metrics_token": "scrape-me"})
    async with running_api(guarded, dev_env.client, engine) as api:
        refused = await api.http.get("/metrics")
        assert refused.status_code == 401
        assert (
            await api.http.get("/metrics", headers={"Authorization": "Bearer no"})
        ).status_code == 401
        await scrape(api, Authorization="Bearer scrape-me")


def test_metrics_equal_figures_computed_from_the_rows(engine: Engine) -> None:
    """Every sample equals plain Python over every stored case and item: the rollups hold
    the ended cases, and the items of the cases still running (some of them done) are read
    from the item table; the backlog gauges count the review tasks open now, and those
    waiting for the department past their due time."""
    catalog = get_catalog()
    seed_cases(
        engine,
        catalog,
        300,
        seed=5,
        until=datetime(2038, 6, 1, tzinfo=UTC),
        days=120,
        tag=f"p{uuid.uuid4().hex[:8]}",
    )
    # and cases of the last weeks, some of whose open tasks are past their due time now
    seed_cases(
        engine,
        catalog,
        120,
        seed=6,
        until=datetime.now(UTC),
        days=40,
        tag=f"q{uuid.uuid4().hex[:8]}",
    )
    wanted: dict[tuple[str, frozenset], float] = defaultdict(float)

    def observe(name: str, labels: dict[str, str], days: float) -> None:
        wanted[(f"{name}_count", frozenset(labels.items()))] += 1
        wanted[(f"{name}_sum", frozenset(labels.items()))] += days
        for bound in [*map(str, BOUNDS), "+Inf"]:
            key = frozenset({**labels, "le": bound}.items())
            wanted[(f"{name}_bucket", key)] += bound == "+Inf" or days <= float(bound)

    now = datetime.now(UTC)
    with Session(engine) as session:
        running = 0
        for case in session.exec(select(Case)):
            labels = {"scenario": case.scenario}
            running += case.status is CaseStatus.running
            if case.status is not CaseStatus.submitted:
                wanted[("cases_started_total", frozenset(labels.items()))] += 1
            if case.status not in (CaseStatus.submitted, CaseStatus.running):
                key = frozenset({**labels, "status": case.status.value}.items())
                wanted[("cases_completed_total", key)] += 1
            if case.status is CaseStatus.completed and case.actual_days is not None:
                observe("case_duration_working_days", labels, case.actual_days)
        assert running
        for item in session.exec(select(CaseItem)):
            labels = {"department": item.department, "item": item.item}
            if item.breached:
                wanted[("item_breaches_total", frozenset(labels.items()))] += 1
            if item.status in OPEN_TASKS:
                department = frozenset({"department": item.department}.items())
                wanted[("onego_tasks_open", department)] += 1
                late = item.status is ItemStatus.awaiting_review and _aware(item.due_at) < now
                wanted[("onego_tasks_overdue", department)] += late
            if item.status is ItemStatus.done and item.elapsed_days is not None:
                labels["mode"] = item.mode
                observe("item_duration_working_days", labels, item.elapsed_days)
        assert wanted[("onego_tasks_open", frozenset({"department": "public-security"}.items()))]
        assert sum(v for (name, _), v in wanted.items() if name == "onego_tasks_overdue")
    registry = CollectorRegistry()
    registry.register(ReadModelCollector(engine))
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in registry.collect()
        for sample in family.samples
    }
    assert samples.keys() == wanted.keys()
    for key, value in wanted.items():
        assert samples[key] == pytest.approx(value, rel=1e-9), key
