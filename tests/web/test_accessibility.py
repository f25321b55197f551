"""axe-core on every page the browser tests visit, in Chinese and in English: no serious or
critical violation (contrast, labels, ARIA references, landmarks, the document's language)."""

import pytest
from sqlmodel import Session, select

from store.models import CaseItem, Role
from store.users import DEMO_IDENTITIES
from tests.web.axe import describe, violations_of
from tests.web.conftest import Site, Visitor
from tests.web.test_inbox import _newborn_case

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


async def _pages(site: Site, visit) -> dict[Role | None, list[str]]:
    """The paths each role opens (None: signed out), on one newborn case awaiting review."""
    applicant = site.user(Role.applicant, **DEMO_IDENTITIES["applicant"])
    case_id = await _newborn_case(site, applicant)
    with Session(site.engine) as session:
        task_id = session.exec(
            select(CaseItem.id).where(
                CaseItem.case_id == case_id, CaseItem.item == "household_registration"
            )
        ).one()
    return {
        None: ["/", "/scenarios/newborn/notice", "/login"],
        Role.applicant: [
            "/scenarios/newborn/apply",
            "/cases",
            f"/cases/{case_id}",
        ],
        Role.clerk: ["/inbox", f"/inbox/tasks/{task_id}"],
        Role.manager: ["/dashboard", f"/dashboard/cases/{case_id}"],
        Role.auditor: [f"/audit?object={case_id}"],
    }


async def _visitor(site: Site, visit, role: Role | None, lang: str) -> Visitor:
    visitor: Visitor = await visit()
    if role is Role.applicant:
        await visitor.sign_in(site.user(role, **DEMO_IDENTITIES["applicant"]))
    elif role is not None:
        await visitor.sign_in(site.user(role, "public-security" if role is Role.clerk else None))
    await visitor.goto(f"/?lang={lang}")  # remembered for the next pages
    return visitor


@pytest.mark.parametrize(("lang", "html_lang"), [("zh", "zh-CN"), ("en", "en")])
async def test_every_page_passes_axe(site: Site, visit, lang: str, html_lang: str) -> None:
    found: list[str] = []
    for role, paths in (await _pages(site, visit)).items():
        visitor = await _visitor(site, visit, role, lang)
        for path in paths:
            response = await visitor.page.goto(site.url + path)
            if response is None or response.status >= 500:
                found.append(f"{path} ({role}): answered {response and response.status}")
                continue
            assert await visitor.page.locator("html").get_attribute("lang") == html_lang, path
            if violations := await violations_of(visitor.page):
                found.append(f"{path} ({role}):\n{describe(violations)}")
    # The form with its inline errors: the messages are tied to their inputs.
    visitor = await _visitor(site, visit, Role.applicant, lang)
    await visitor.goto("/scenarios/newborn/apply")
    await visitor.submit("#submit")
    assert await visitor.page.locator(".field.has-error").count() >= 1
    if violations := await violations_of(visitor.page):
        found.append(f"apply with errors:\n{describe(violations)}")
    assert not found, "\n".join(found)


async def test_axe_finds_what_it_should(browser) -> None:
    """The check itself fails on a bare image, an unlabelled input and a dangling reference."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.set_content(
            '<html lang="en"><body><main><h1>x</h1><img src="data:,">'
            '<input id="q" aria-describedby="nowhere"></main></body></html>'
        )
        rules = {violation["id"] for violation in await violations_of(page)}
        assert {"image-alt", "label", "broken-idref"} <= rules
    finally:
        await context.close()
