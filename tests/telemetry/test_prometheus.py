"""`/metrics`: the read model's counters and histograms in the Prometheus text format."""

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from store.models import Role
from tests.conftest import Workers
from tests.helpers import Api, running_api

pytestmark = pytest.mark.timeout(90)

REGISTRATION = {"department": "public-security", "item": "household_registration"}


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
