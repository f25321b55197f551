"""The manager's JSON: a real newborn case with a supplement (time-skipping server) traced by
GET /api/v1/metrics/cases/{number or id}/trace; the dashboard and department figures answer managers
only, and count the case once it ends."""

from datetime import datetime, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.statuses import CaseStatus
from runtime.settings import Settings
from store.models import Role
from tests.conftest import Workers
from tests.helpers import running_api
from tests.workflows.test_review import REVIEWED, Starter, next_thursday_10am
from workflows.models import Decision, SupplementInput, SupplementRequest
from workflows.scenario import ScenarioWorkflow

pytestmark = pytest.mark.timeout(120)
DAY = timedelta(days=1)


@pytest.fixture
async def start_case(time_skipping_env: WorkflowEnvironment, engine, settings: Settings):
    async with Workers(time_skipping_env.client, engine, settings):
        yield Starter(time_skipping_env, engine, settings)


async def test_trace_of_a_case_with_a_supplement(start_case, engine, settings: Settings):
    await next_thursday_10am(start_case.env)
    case = await start_case()
    opened = await case.opened()
    await case.env.sleep(timedelta(hours=2))  # Thursday 12:00
    await case.claim("clerk-a")
    await case.decide(
        "clerk-a",
        Decision.supplement,
        supplement=SupplementRequest(fields=["household_address"], note="门牌号缺失"),
    )
    await case.env.sleep(timedelta(days=3))  # Sunday 12:00: 1.5 working days waited
    await case.handle.execute_update(
        ScenarioWorkflow.supplement,
        SupplementInput(item=REVIEWED, fields={"household_address": "重庆市渝中区民族路100号"}),
    )
    await case.env.sleep(DAY)  # Monday 12:00
    await case.decide("clerk-a", Decision.approve)
    result = await case.handle.result()
    assert result.status is CaseStatus.completed

    async with running_api(settings, start_case.env.client, engine, reconcile=False) as api:
        manager = await api.account(Role.manager)
        clerk = await api.account(Role.clerk, "public-security")
        url = f"/api/v1/metrics/cases/{case.case_id}/trace"
        assert (await api.http.get(url, headers=clerk.headers)).status_code == 403
        missing = await api.http.get("/api/v1/metrics/cases/nope/trace", headers=manager.headers)
        assert missing.status_code == 404
        response = await api.http.get(url, headers=manager.headers)
        assert response.status_code == 200, response.text
        trace = response.json()
        by_number = f"/api/v1/metrics/cases/{case.case().number}/trace"
        read_aloud = (await api.http.get(by_number, headers=manager.headers)).json()
        assert {**read_aloud, "now": None} == {**trace, "now": None}

        day = case.case().submitted_at.date()
        board = await api.http.get(
            f"/api/v1/metrics/dashboard?from={day - DAY}&to={day + DAY}", headers=manager.headers
        )
        assert board.status_code == 200, board.text
        departments = await api.http.get("/api/v1/metrics/departments", headers=manager.headers)
        assert departments.status_code == 200
        assert (
            await api.http.get("/api/v1/metrics/dashboard", headers=clerk.headers)
        ).status_code == 403
        bad = await api.http.get(
            "/api/v1/metrics/dashboard?from=2026-02-01&to=2026-01-01", headers=manager.headers
        )
        assert bad.status_code == 422
        unknown = await api.http.get(
            "/api/v1/metrics/dashboard?scenario=nope", headers=manager.headers
        )
        assert unknown.status_code == 404
        # the existing per-scenario figures keep working
        scenarios = await api.http.get("/api/v1/metrics/scenarios", headers=manager.headers)
        assert scenarios.status_code == 200

    assert trace["status"] == "completed" and trace["scenario"] == "newborn"
    items = {i["item"]: i for i in trace["items"]}
    police = items[REVIEWED]
    # the applicant's wait: requested Thursday 12:00, received Sunday 12:00
    assert len(police["waits"]) == 1
    wait = police["waits"][0]
    assert wait["outcome"] == "received"
    assert wait["days"] == pytest.approx(1.5, abs=1e-3)
    row = case.item()
    assert police["start"] is not None and police["end"] is not None
    assert abs(_at(police["start"]) - opened) < timedelta(seconds=1)
    assert abs(_at(police["end"]) - row.completed_at) < timedelta(seconds=1)
    assert abs(_at(police["due_at"]) - row.due_at) < timedelta(seconds=1)
    assert police["promised_days"] == 3 and police["breached"] is False
    assert police["applicant_days"] == pytest.approx(1.5, abs=1e-3)
    # every item ran; the critical path is a chain ending with the last item to end
    assert all(i["end"] for i in trace["items"])
    path = trace["critical_path"]
    assert REVIEWED in path
    last = max(trace["items"], key=lambda i: i["end"])
    assert path[-1] == last["item"]
    for before, after in zip(path, path[1:], strict=False):
        assert before in items[after]["requires"]
    assert {i["item"] for i in trace["items"] if i["critical"]} == set(path)
    assert trace["actual_days"] == pytest.approx(case.case().actual_days)
    figures = board.json()
    assert figures["total"]["completed"] >= 1
    assert figures["targets"]["material_reduction"] == 0.53
    assert figures["targets"]["time_reduction"] == 0.62


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
