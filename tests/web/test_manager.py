"""The manager's pages in Chromium over seeded synthetic cases: the reform dashboard (zh-CN,
English, its overview and one scenario's view, the period picker and its refusals on the form,
its tables exported as CSV and Excel), chart labels that fit, and SLA traces (a completed case
with a supplement and a breach, a case still running; as a list on a 390 px phone).
Screenshots go to artifacts/screenshots/manager-*.png."""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.async_api import Browser, Page
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from catalog.loader import get_catalog
from domain.statuses import CaseStatus, EventKind
from simulation.seed import seed_cases
from store.db import create_schema, make_engine
from store.models import AuditEvent, Case, CaseEvent, CaseItem, Role
from tests.web.conftest import Site, Visitor
from web.common import days

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
CASES = 400
SINCE = (datetime.now(UTC) - timedelta(days=130)).date().isoformat()


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
    await browser.goto(f"/dashboard?from={SINCE}")
    await browser.shot("manager-01-dashboard")
    page = browser.page
    assert "改革成效看板" in await page.locator("h1").inner_text()
    cases = await page.locator("#kpis .kpi .value").first.inner_text()
    assert int(cases.replace(",", "")) == CASES
    # the overview: a row per scenario (and the total), the departments and the drivers;
    # a scenario's charts are on its own view
    assert await page.locator("#overview").count() == 1
    scenarios = await page.locator("#scenarios tbody tr").count()
    assert scenarios == len(get_catalog().latest_versions()) + 1
    for chart in ("chart-sla", "chart-drivers"):
        assert await page.locator(f"svg#{chart} rect").count() > 3, chart
    assert await page.locator("svg#chart-reductions, svg#chart-days").count() == 0
    # one page of 20 scenarios used to be 9,572 px tall
    assert await page.evaluate("document.documentElement.scrollHeight") < 6000
    assert await page.locator("#departments tbody tr").count() >= 3
    assert "用时最多的是" in await page.locator("#top-driver").inner_text()
    assert await page.locator("#slowest li").count() > 0

    # a scenario's view from its row, the period kept; back to the overview
    await browser.submit("#scenarios tr[data-scenario=newborn] a")
    assert "scenario=newborn" in page.url and f"from={SINCE}" in page.url
    await browser.shot("manager-03-dashboard-newborn")
    assert "新生儿" in await page.locator("#scenario-title").inner_text()
    assert await page.locator("#scenarios tbody tr").count() == 1
    for chart in ("chart-reductions", "chart-days", "chart-sla", "chart-drivers"):
        assert await page.locator(f"svg#{chart} rect").count() >= 1, chart
    assert "53%" in await page.locator("svg#chart-reductions").inner_html()  # the target
    await browser.submit("#back-overview")
    assert "scenario=" not in page.url and f"from={SINCE}" in page.url
    assert await page.locator("#scenarios tbody tr").count() == scenarios

    # English, then one scenario through the picker
    await browser.goto("/dashboard?lang=en")
    await browser.shot("manager-02-dashboard-en")
    assert "reform dashboard" in await page.locator("h1").inner_text()
    await page.select_option("#scenario", "newborn")
    await browser.submit("#period button[type=submit]")
    assert "scenario=newborn" in page.url
    assert await page.locator("#scenarios tbody tr").count() == 1

    # from the slowest cases to a trace
    await browser.goto("/dashboard")
    await browser.submit("#slowest li a >> nth=0")
    assert "/dashboard/cases/" in page.url
    assert await page.locator("svg#gantt").count() == 1


async def test_a_wrong_period_is_answered_on_the_form(site: Site, visit) -> None:
    """422, the page with its form, the message next to the field it is about, in the
    page's language; then the period corrected on the form."""
    browser = await visit()
    await browser.sign_in(site.user(Role.manager))
    page = browser.page
    for query, field, words in [
        ("from=2026-03-01&to=2026-01-01", "from", "开始日期晚于结束日期"),
        ("from=2026-03-01&to=2026-01-01&lang=en", "from", "`from` is after `to`"),
        ("from=1999-12-31&lang=en", "from", "between 2000-01-01 and 2100-12-31"),
        ("to=2026-02-30&lang=zh", "to", "请输入有效日期"),
        ("from=2000-01-01&to=2100-12-31", "from", "期间最长 3660 天"),
    ]:
        response = await page.goto(f"{site.url}/dashboard?{query}")
        assert response is not None and response.status == 422, query
        assert words in await page.locator(f"#period #{field}-error").inner_text(), query
        assert await page.locator(f"#{field}").get_attribute("aria-invalid") == "true"
        assert await page.locator(f"#{field}").get_attribute("aria-describedby") == (
            f"{field}-error"
        )
        assert await page.locator("#kpis").count() == 0
    await browser.shot("manager-08-period-refused")
    # a reversed period marks both days, its message shown once
    await page.goto(f"{site.url}/dashboard?from=2026-03-01&to=2026-01-01")
    assert await page.locator("#to").get_attribute("aria-invalid") == "true"
    assert await page.locator("#period .error").count() == 1
    await page.fill("#from", "2025-12-01")
    await browser.submit("#period button[type=submit]")
    assert await page.locator("#period .error").count() == 0
    assert "2025-12-01" in await page.locator("main").inner_text()
    assert await page.locator("#kpis").count() == 1


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _percent(cell: str) -> str:
    return f"{float(cell):.1f}%" if cell else "—"


def _days(cell: str) -> str:
    return days(float(cell)) if cell else "—"


def _count(cell: str) -> str:
    return f"{int(cell):,}"


# each table's CSV row as the page shows it (the page's cells, text)
SHOWN = {
    "scenarios": lambda r: [
        r[1], _count(r[2]), _count(r[3]), _percent(r[4]), f"{r[5]} → {r[6]}", _percent(r[7]),
        _days(r[8]), _days(r[9]), _days(r[10]), _percent(r[11]), _days(r[12]),
    ],
    "departments": lambda r: [
        r[1], _count(r[2]), _count(r[3]), _percent(r[4]), _days(r[5]), _percent(r[6]),
        r[7], r[8], r[9],
    ],
    "drivers": lambda r: [
        r[1], r[2], _count(r[3]), _days(r[4]), _count(r[5]), _days(r[6]), _percent(r[7]),
    ],
}  # fmt: skip
HEADERS = {
    "zh": {"scenarios": ["代码", "场景", "办件量"], "drivers": ["代码", "事项", "部门"]},
    "en": {"scenarios": ["Code", "Scenario", "Cases"], "drivers": ["Code", "Item", "Department"]},
}


async def _cells(page: Page, table: str) -> list[list[str]]:
    return await page.eval_on_selector_all(
        f"#{table} tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))",
    )


async def _export(browser: Visitor, table: str, fmt: str) -> bytes:
    """The file behind the page's export link (same cookies as the page)."""
    href = await browser.page.locator(f"#export-{table} a[href*='.{fmt}?']").get_attribute("href")
    assert href is not None
    response = await browser.context.request.get(browser.site.url + href)
    assert response.status == 200, href
    kind = "text/csv" if fmt == "csv" else "spreadsheetml"
    assert kind in response.headers["content-type"]
    assert f".{fmt}" in response.headers["content-disposition"]
    return await response.body()


def _sheet(body: bytes) -> list[list[str | float]]:
    """An Excel file's one sheet, its numbers as numbers, its other cells as text."""
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return _typed(
        [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    )


def _typed(rows: list[list[Any]]) -> list[list[str | float]]:
    """Cells as numbers where they are numbers (a CSV's `100.0` is Excel's 100)."""

    def typed(cell: Any) -> str | float:
        try:
            return float(cell)
        except ValueError:
            return cell

    return [[typed(cell) for cell in row] for row in rows]


async def test_exports_hold_the_page_figures(site: Site, visit, screenshots: Path) -> None:
    """Every table of the page as CSV (UTF-8 with a BOM) and Excel: the same figures as the
    page's cells, for the same period and scenario, headers in the page's language; a
    table of aggregates is not audited; a clerk is refused."""
    browser = await visit()
    await browser.sign_in(site.user(Role.manager))
    page = browser.page
    with Session(site.engine) as session:
        audited = session.exec(select(func.count()).select_from(AuditEvent)).one()
    for lang, scenario in (("zh", ""), ("en", ""), ("zh", "newborn")):
        await browser.goto(f"/dashboard?from={SINCE}&lang={lang}&scenario={scenario}")
        for table in ("scenarios", "departments", "drivers"):
            body = await _export(browser, table, "csv")
            assert body.startswith(b"\xef\xbb\xbf"), table  # Excel reads it as UTF-8
            rows = _rows(body.decode("utf-8-sig"))
            header, data = rows[0], rows[1:]
            if table in HEADERS[lang]:
                assert header[:3] == HEADERS[lang][table]
            shown = await _cells(page, table)
            limit = 15 if table == "drivers" else len(data)  # the page lists the first 15
            assert [SHOWN[table](r) for r in data[:limit]] == shown, (lang, scenario, table)
            assert _sheet(await _export(browser, table, "xlsx")) == _typed(rows), table
    scenario_rows = _rows((await _export(browser, "scenarios", "csv")).decode("utf-8-sig"))
    assert [r[0] for r in scenario_rows[1:]] == ["newborn"]
    # the link itself downloads the file
    async with page.expect_download() as info:
        await page.click("#export-drivers a[href*='.xlsx?']")
    download = await info.value
    assert download.suggested_filename.startswith("onego-drivers-")
    assert download.suggested_filename.endswith("-newborn.xlsx")
    with Session(site.engine) as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == audited
    # a wrong period is refused like the page's
    response = await browser.context.request.get(
        f"{site.url}/dashboard/export/drivers.csv?from=2026-03-01&to=2026-01-01"
    )
    assert response.status == 422
    clerk = await visit()
    await clerk.sign_in(site.user(Role.clerk, "public-security"))
    refused = await clerk.context.request.get(f"{site.url}/dashboard/export/scenarios.csv")
    assert refused.status == 403


# In the page: every text of every chart inside its chart, no two texts over each other,
# and every text cut short (…) inside a group whose <title> holds the whole of it.
CHART_TEXT = """() => {
  const problems = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const width = svg.viewBox.baseVal.width;
    const boxes = [];
    for (const text of svg.querySelectorAll("text")) {
      const box = text.getBBox();
      const words = text.textContent;
      if (box.x < -0.5 || box.x + box.width > width + 0.5) {
        problems.push(`${svg.id}: "${words}" outside (${box.x}+${box.width} of ${width})`);
      }
      for (const [other, b] of boxes) {
        // a text's box holds its line height: the next line's may touch it by a few px
        const apart = box.x >= b.x + b.width - 0.5 || b.x >= box.x + box.width - 0.5
          || box.y >= b.y + b.height - 4 || b.y >= box.y + box.height - 4;
        if (!apart) problems.push(`${svg.id}: "${words}" over "${other}"`);
      }
      boxes.push([words, box]);
      if (words.endsWith("…")) {
        const title = text.closest("g")?.querySelector(":scope > title")?.textContent || "";
        if (!title.includes(words.slice(0, -1).trimEnd()) || title.length < words.length) {
          problems.push(`${svg.id}: "${words}" cut without its whole text`);
        }
      }
    }
  }
  return problems;
}"""


async def test_chart_labels_fit(site: Site, visit) -> None:
    """Long names (the longest scenario, department and item names, in both languages)
    wrap or end in an ellipsis with their whole text as a tooltip; value labels stay
    inside the chart."""
    browser = await visit()
    await browser.sign_in(site.user(Role.manager))
    page = browser.page
    wrapped = 0
    for lang in ("zh", "en"):
        for scenario in ("", "second_hand_home_transfer", "open_transport_company"):
            await browser.goto(f"/dashboard?from={SINCE}&lang={lang}&scenario={scenario}")
            assert await page.evaluate(CHART_TEXT) == [], (lang, scenario)
            wrapped += await page.locator("svg.chart text.group").count()
        for status in (CaseStatus.completed, CaseStatus.running):
            case_id = _case_with(site.engine, status, supplement=False, breached=False)
            await browser.goto(f"/dashboard/cases/{case_id}?lang={lang}")
            assert await page.evaluate(CHART_TEXT) == [], (lang, case_id)
    assert wrapped
    # the longest scenario name is on two lines, whole
    await browser.goto(f"/dashboard?from={SINCE}&lang=en&scenario=second_hand_home_transfer")
    lines = await page.locator("svg#chart-days text.group").evaluate_all(
        "texts => texts.map(t => t.textContent)"
    )
    assert len(lines) > 1
    assert " ".join(lines) == "Second-hand home transfer with utility transfers"


async def test_trace_on_a_phone(site: Site, browser: Browser, screenshots: Path) -> None:
    """At 390 px the trace's items are a list (each with its bar on the case's time), with
    nothing wider than the screen; at 1280 px the Gantt and the table."""
    context = await browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        phone = Visitor(context, await context.new_page(), site, screenshots)
        await phone.sign_in(site.user(Role.manager))
        done = _case_with(site.engine, CaseStatus.completed, supplement=True, breached=False)
        await phone.goto(f"/dashboard/cases/{done}")
        await phone.shot("manager-07-trace-390")
        page = phone.page
        assert await page.locator("#trace-list").is_visible()
        assert not await page.locator("svg#gantt").is_visible()
        assert not await page.locator("#items").is_visible()
        items = await page.locator("#items tbody tr").count()
        assert await page.locator("#trace-list > li").count() == items
        assert await page.locator("#trace-list svg.strip rect.bar").count() == items
        assert await page.locator("#trace-list svg.strip rect.wait").count() >= 1
        assert await page.locator("#trace-list li.critical").count() >= 1
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        first = await page.locator("#trace-list > li").first.inner_text()
        assert "开始" in first and "个工作日" in first
        await page.set_viewport_size({"width": 1280, "height": 900})
        assert not await page.locator("#trace-list").is_visible()
        assert await page.locator("svg#gantt").is_visible()
    finally:
        await context.close()


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
    await anonymous.goto("/dashboard/export/scenarios.xlsx")
    assert "/login?next=" in anonymous.page.url
