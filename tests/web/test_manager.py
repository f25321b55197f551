"""The manager's pages in Chromium over seeded synthetic cases: the reform dashboard (zh-CN,
English, one scenario, the period picker) and SLA traces (a completed case with a supplement
and a breach, a case still running). Screenshots go to artifacts/screenshots/manager-*.png."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from catalog.loader import get_catalog
from domain.statuses import CaseStatus, EventKind
from simulation.seed import seed_cases
from store.db import create_schema, make_engine
from store.models import Case, CaseEvent, CaseItem, Role
from tests.web.conftest import Site

pytestmark = pytest.mark.timeout(120)
CASES = 400


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of its own: the seeded open tasks stay out of the other pages' inboxes."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('manager') / 'onego.db'}")
    create_schema(engine)
    seed_cases(engine, get_catalog(), CASES, seed=3, until=datetime.now(UTC), days=120)
    yield engine
    engine.dispose()


def _case_with(engine: Engine, status: CaseStatus, supplement: bool, breached: bool) -> str:
    with Session(engine) as session:
        query = select(Case.id).where(Case.status == status)
        if supplement:
            waited = select(CaseEvent.case_id).where(
                CaseEvent.kind == EventKind.supplement_received
            )
            query = query.where(Case.id.in_(waited))  # type: ignore[attr-defined]
        if breached:
            late = select(CaseItem.case_id).where(CaseItem.breached == True)  # noqa: E712
            query = query.where(Case.id.in_(late))  # type: ignore[attr-defined]
        found = session.exec(query.order_by(Case.id)).first()
    assert found, f"no seeded {status} case (supplement={supplement}, breached={breached})"
    return found


async def test_reform_dashboard(site: Site, visit, screenshots: Path) -> None:
    manager = site.user(Role.manager)
    browser = await visit()
    await browser.login(manager)
    assert browser.page.url.endswith("/dashboard")  # managers start at the dashboard
    nav = browser.page.locator("header nav a.active")
    assert await nav.inner_text() == "改革成效"
    await browser.goto(
        "/dashboard?from=" + (datetime.now(UTC) - timedelta(days=130)).date().isoformat()
    )
    await browser.shot("manager-01-dashboard")
    page = browser.page
    assert "改革成效看板" in await page.locator("h1").inner_text()
    cases = await page.locator("#kpis .kpi .value").first.inner_text()
    assert int(cases.replace(",", "")) == CASES
    for chart in ("chart-reductions", "chart-days", "chart-sla", "chart-drivers"):
        assert await page.locator(f"svg#{chart} rect").count() > 3, chart
    # targets drawn on the reductions chart
    assert "53%" in await page.locator("svg#chart-reductions").inner_html()
    assert await page.locator("#scenarios tbody tr").count() >= 5
    assert await page.locator("#departments tbody tr").count() >= 3
    assert "用时最多的是" in await page.locator("#top-driver").inner_text()
    assert await page.locator("#slowest li").count() > 0

    # English, then one scenario through the picker
    await browser.goto("/dashboard?lang=en")
    await browser.shot("manager-02-dashboard-en")
    assert "reform dashboard" in await page.locator("h1").inner_text()
    await page.select_option("#scenario", "newborn")
    await browser.submit("#period button[type=submit]")
    assert "scenario=newborn" in page.url
    await browser.shot("manager-03-dashboard-newborn")
    assert await page.locator("#scenarios tbody tr").count() == 1

    # a period in the wrong order is refused in words, not a traceback
    response = await page.goto(site.url + "/dashboard?from=2026-03-01&to=2026-01-01")
    assert response is not None and response.status == 422

    # from the slowest cases to a trace
    await browser.goto("/dashboard")
    await browser.submit("#slowest li a >> nth=0")
    assert "/dashboard/cases/" in page.url
    assert await page.locator("svg#gantt").count() == 1


async def test_sla_trace_pages(site: Site, visit) -> None:
    manager = site.user(Role.manager)
    browser = await visit()
    await browser.sign_in(manager)
    page = browser.page

    done = _case_with(site.engine, CaseStatus.completed, supplement=True, breached=False)
    await browser.goto(f"/dashboard/cases/{done}")
    await browser.shot("manager-04-trace-supplement")
    gantt = page.locator("svg#gantt")
    assert await gantt.locator("rect.wait").count() >= 1  # the applicant's wait, apart
    assert await gantt.locator("rect.limit").count() >= 1  # promised limits
    assert await gantt.locator("rect.critical").count() >= 1
    assert await gantt.locator("rect.rest").count() >= 0
    path = await page.locator("#critical-path").inner_text()
    assert path and path != "—"
    assert await page.locator("#items tr.critical").count() >= 1

    late = _case_with(site.engine, CaseStatus.completed, supplement=False, breached=True)
    await browser.goto(f"/dashboard/cases/{late}?lang=en")
    await browser.shot("manager-05-trace-breach-en")
    assert await page.locator("svg#gantt rect.bar.breached").count() >= 1
    assert "breached" in await page.locator("#items").inner_text()

    running = _case_with(site.engine, CaseStatus.running, supplement=False, breached=False)
    await browser.goto(f"/dashboard/cases/{running}")
    await browser.shot("manager-06-trace-running")
    assert await page.locator("svg#gantt line.now").count() == 1

    response = await page.goto(site.url + "/dashboard/cases/no-such-case")
    assert response is not None and response.status == 404


async def test_pages_are_for_managers(site: Site, visit) -> None:
    clerk = site.user(Role.clerk, "public-security")
    browser = await visit()
    await browser.sign_in(clerk)
    response = await browser.page.goto(site.url + "/dashboard")
    assert response is not None and response.status == 403
    assert await browser.page.locator("header nav a[href='/dashboard']").count() == 0
    anonymous = await visit()
    await anonymous.goto("/dashboard")
    assert "/login?next=" in anonymous.page.url
