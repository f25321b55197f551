"""The pages on a 390 px phone: nothing wider than the screen (no sideways scrolling of the
page), and the tables stacked into rows of "label: value" so that the notice's fee and time,
the case's results and due dates and the inbox's deadlines are on screen."""

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Locator, Page
from sqlmodel import Session, select

from store.models import Case, CaseItem, Role
from store.users import DEMO_IDENTITIES
from tests.web.axe import assert_accessible
from tests.web.conftest import Site, Visitor
from tests.web.test_inbox import _newborn_case

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
WIDTH = 390


@pytest.fixture
async def phone(browser: Browser, site: Site, screenshots) -> AsyncIterator[object]:
    """`await phone(username)`: a visitor on a 390 x 844 screen, signed in as `username`
    (None: signed out)."""
    contexts = []

    async def open_phone(username: str | None) -> Visitor:
        context = await browser.new_context(
            locale="zh-CN", viewport={"width": WIDTH, "height": 844}, is_mobile=True
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        visitor = Visitor(context, await context.new_page(), site, screenshots)
        if username:
            await visitor.sign_in(username)
        return visitor

    yield open_phone
    for context in contexts:
        await context.close()


async def _fits(page: Page) -> None:
    """The page does not scroll sideways."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= await page.evaluate("innerWidth"), f"{page.url} is {width} px wide"


async def _column(table: Locator, header: str) -> Locator:
    """The body cells under the header whose text holds `header`."""
    headers = [(text or "").strip() for text in await table.locator("thead th").all_text_contents()]
    index = next(n for n, text in enumerate(headers) if header in text)
    return table.locator(f"tbody tr > td:nth-child({index + 1})")


async def _on_screen(cells: Locator, what: str) -> None:
    """Every cell is shown, inside the screen's width, with its text (and its label)."""
    assert await cells.count() >= 1, what
    for cell in await cells.all():
        assert await cell.is_visible(), what
        box = await cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (what, box)
        assert (await cell.inner_text()).strip(), what


async def test_notice_on_a_phone(phone) -> None:
    visitor = await phone(None)
    await visitor.goto("/scenarios/newborn/notice")
    await visitor.shot("phone-01-notice")
    page = visitor.page
    await _fits(page)
    table = page.locator("table.notice-items")
    for header in ("收费", "时限", "事项", "材料"):
        await _on_screen(await _column(table, header), header)
    # Each stacked cell names its column.
    fee = (await _column(table, "收费")).first
    assert await fee.get_attribute("data-label") == "收费"
    await assert_accessible(page)  # the stacked rows too


async def test_form_case_and_inbox_on_a_phone(site: Site, phone) -> None:
    owner = site.user(Role.applicant, **DEMO_IDENTITIES["applicant"])
    applicant = await phone(owner)
    await applicant.goto("/scenarios/newborn/apply")
    await applicant.shot("phone-02-form")
    await _fits(applicant.page)
    for field in await applicant.page.locator(".field input, .field select").all():
        if await field.is_visible():
            box = await field.bounding_box()
            assert box is not None and box["x"] + box["width"] <= WIDTH

    case_id = await _newborn_case(site, owner)
    with Session(site.engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        number = case.number
    page = applicant.page
    await applicant.goto(f"/cases/{number}")

    async def results_shown() -> bool:
        return "出生医学证明编号" in await page.locator("#items").inner_text()

    await applicant.reload_until(results_shown, "the first results")
    await applicant.shot("phone-03-case")
    await _fits(page)
    items = page.locator("#items")
    await _on_screen(await _column(items, "状态"), "status")
    results = (await _column(items, "办理结果")).filter(has_text="出生医学证明编号")
    await _on_screen(results, "results")
    due = (await _column(items, "承诺时限")).filter(has_text="20")
    await _on_screen(due, "due dates")
    await assert_accessible(page)

    await applicant.goto("/cases")
    await applicant.shot("phone-04-cases")
    await _fits(page)
    await _on_screen(await _column(page.locator("table.cases"), "状态"), "case status")

    clerk = await phone(site.user(Role.clerk, "public-security"))
    await clerk.goto("/inbox")
    await clerk.shot("phone-05-inbox")
    await _fits(clerk.page)
    tasks = clerk.page.locator("table.tasks")
    await _on_screen(await _column(tasks, "承诺期限"), "task due dates")
    await _on_screen(await _column(tasks, "剩余工作时间"), "working time left")
    with Session(site.engine) as session:
        task_id = session.exec(
            select(CaseItem.id).where(
                CaseItem.case_id == case_id, CaseItem.item == "household_registration"
            )
        ).one()
    await clerk.goto(f"/inbox/tasks/{task_id}")
    await clerk.shot("phone-06-task")
    await _fits(clerk.page)

    manager = await phone(site.user(Role.manager))
    await manager.goto(f"/dashboard/cases/{case_id}")
    await manager.shot("phone-07-trace")
    await _fits(manager.page)
    await _on_screen(manager.page.locator("#trace-list > li"), "trace items")
