"""Security headers (middleware/headers.py) on every route the app has, `no-store` where an ID
number is shown, HSTS only with TLS_TERMINATED, and the pages working in Chromium under the
Content-Security-Policy: no violation reported on any of the main pages."""

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from playwright.async_api import ConsoleMessage, Page
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from stdnum.cn import ric
from temporalio.testing import WorkflowEnvironment

from catalog.loader import get_catalog
from middleware.headers import CSP, DOCS_CSP
from routers.deps import TOKEN_COOKIE
from runtime.settings import Settings
from store.models import CaseItem, Role
from store.users import DEMO_IDENTITIES
from tests.helpers import PASSWORD, Api, running_api
from tests.web.conftest import Site, Visitor
from tests.web.pages import fill_form
from tests.web.test_inbox import _newborn_case

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

REDOC_LOGO = "cdn.redoc.ly/redoc/logo-mini.svg"
ALWAYS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def assert_secured(response: httpx.Response, path: str) -> None:
    headers = response.headers
    for name, value in ALWAYS.items():
        assert headers.get(name) == value, (path, response.status_code, name)
    assert headers.get("permissions-policy"), path
    docs = path.startswith(("/docs", "/redoc"))
    assert headers.get("content-security-policy") == (DOCS_CSP if docs else CSP), path
    if path.startswith(("/static/", "/api-docs-assets/")):
        assert "no-store" not in headers.get("cache-control", ""), path
    else:
        assert headers.get("cache-control") == "no-store", (path, response.status_code)
    assert "strict-transport-security" not in headers, path


def _example_path(path: str) -> str:
    """A concrete URL of a route: every parameter filled in (ids that exist or not)."""
    return re.sub(r"\{[^}]+\}", "newborn", path)


def routes_of(app: FastAPI) -> list[tuple[str, str]]:
    """(method, URL) of every route of the app (API, pages, docs, /metrics) and a file under
    /static; HEAD left out."""
    found = []
    for route in iter_route_contexts(app.routes):
        if route.path == "/static":
            found.append(("GET", "/static/onego.css"))
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append((method, _example_path(str(route.path))))
    found.append(("GET", "/no-such-page"))
    # signing out last: it may end the token the walk signs in with
    return sorted(found, key=lambda route: route[1].endswith("/logout"))


@pytest.fixture
async def served(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> AsyncIterator[tuple[FastAPI, Api]]:
    async with running_api(settings, dev_env.client, engine) as api:
        yield api.http._transport.app, api  # type: ignore[attr-defined]


async def test_every_route_carries_the_headers(served: tuple[FastAPI, Api]) -> None:
    app, api = served
    routes = routes_of(app)
    # the walk reached the pages, the JSON API, the docs and the static files
    for expected in ("/login", "/inbox", "/api/v1/cases", "/docs", "/redoc", "/static/onego.css"):
        assert ("GET", expected) in routes, expected
    assert len(routes) > 40
    applicant = await api.account(Role.applicant)
    token = applicant.headers["Authorization"].removeprefix("Bearer ")
    statuses = set()
    for method, path in routes:
        for signed_in in (False, True):
            api.http.cookies.clear()
            if signed_in:
                api.http.cookies.set(TOKEN_COOKIE, token)
            headers = applicant.headers if signed_in else {}
            response = await api.http.request(method, path, headers=headers)
            statuses.add(response.status_code)
            assert_secured(response, path)
    api.http.cookies.clear()
    # answers of every kind carry them: pages, redirects, refusals, errors
    assert {200, 303, 401, 403, 404, 422} <= statuses, statuses
    refused = await api.http.post("/api/v1/cases", content=b"x" * (api.settings.max_body_bytes + 1))
    assert refused.status_code == 413
    assert_secured(refused, "/api/v1/cases")


async def test_docs_work_offline_under_their_policy(site: Site, visit) -> None:
    """/docs and /redoc load only onego's own assets (the browser here has no internet) and
    render the API's operations with no policy violation; no inline script is allowed."""
    violations = Violations()
    person = await visit()
    await violations.watch(person)
    fetched: list[str] = []
    person.page.on("request", lambda request: fetched.append(request.url))
    for path, rendered in (("/docs", ".opblock"), ("/redoc", "[data-section-id]")):
        response = await person.page.goto(site.url + path)
        assert response is not None and response.status == 200, path
        assert (await response.all_headers())["content-security-policy"] == DOCS_CSP
        await person.page.wait_for_selector(rendered, timeout=30_000)
        # ReDoc's one off-site fetch, its "powered by" logo, is blocked by the policy
        found = [v for v in await violations.of(person.page) if REDOC_LOGO not in v]
        assert found == [], path
    local = (site.url, "blob:", "data:")
    assert fetched and all(url.startswith(local) for url in fetched if REDOC_LOGO not in url)
    assert "'unsafe-inline'" not in DOCS_CSP.split("script-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in CSP and "unsafe-eval" not in CSP


async def test_hsts_only_when_tls_ends_in_front(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    for terminated in (False, True):
        configured = settings.model_copy(update={"tls_terminated": terminated})
        async with running_api(configured, dev_env.client, engine) as api:
            for path in ("/login", "/api/v1/scenarios", "/healthz"):
                response = await api.http.get(path)
                hsts = response.headers.get("strict-transport-security")
                if terminated:
                    assert hsts is not None and "max-age=31536000" in hsts, path
                else:
                    assert hsts is None, path


# -- Chromium: the pages work under the policy -----------------------------------------


class Violations:
    """CSP violations a page reports: its `securitypolicyviolation` events (collected by an
    init script, which runs outside the page's policy) and Chromium's console errors."""

    SCRIPT = (
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__csp.push("
        "e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"
    )

    def __init__(self) -> None:
        self.console: list[str] = []

    async def watch(self, visitor: Visitor) -> None:
        await visitor.context.add_init_script(self.SCRIPT)

        def on_console(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                self.console.append(message.text)

        visitor.page.on("console", on_console)

    async def of(self, page: Page) -> list[Any]:
        events = await page.evaluate("window.__csp || []")
        found = [*events, *self.console]
        self.console.clear()
        return found


async def test_main_pages_report_no_csp_violation(site: Site, visit) -> None:
    violations = Violations()
    applicant = site.user(Role.applicant, **DEMO_IDENTITIES["applicant"])
    clerk = site.user(Role.clerk, "public-security")
    manager = site.user(Role.manager)
    checked: list[str] = []

    async def check(visitor: Visitor, path: str) -> str:
        """Open `path`; no violation, the headers there; returns the page's text."""
        response = await visitor.page.goto(site.url + path)
        assert response is not None and response.status == 200, path
        headers = await response.all_headers()
        assert headers["content-security-policy"] == CSP, path
        assert headers["cache-control"] == "no-store", path
        await visitor.page.wait_for_load_state("load")
        assert await violations.of(visitor.page) == [], path
        checked.append(path)
        return await visitor.page.inner_text("body")

    person = await visit()
    await violations.watch(person)
    await check(person, "/login")
    await person.page.fill("#username", applicant)
    await person.page.fill("#password", PASSWORD)
    await person.submit("button[type=submit]")
    await check(person, "/")
    await check(person, "/scenarios/newborn/notice")
    await check(person, "/scenarios/newborn/apply")
    # the form's script runs under the policy: conditional parts show and hide
    typed = await fill_form(person.page, get_catalog(site.settings.catalog_dir), "newborn")
    assert typed
    assert await violations.of(person.page) == []
    case_id = await _newborn_case(site, applicant)
    await check(person, "/cases")
    await check(person, f"/cases/{case_id}")
    assert await person.page.locator("progress.progress").count() == 1

    desk = await visit()
    await violations.watch(desk)
    await desk.sign_in(clerk)
    await check(desk, "/inbox")
    with Session(site.engine) as session:
        task = session.exec(
            select(CaseItem).where(
                CaseItem.case_id == case_id, CaseItem.item == "household_registration"
            )
        ).one()
    # the task page shows whole ID numbers: never stored by the browser (no-store, above)
    shown = re.findall(r"\b\d{17}[\dX]\b", await check(desk, f"/inbox/tasks/{task.id}"))
    assert any(ric.is_valid(number) for number in shown)

    board = await visit()
    await violations.watch(board)
    await board.sign_in(manager)
    await check(board, "/dashboard")
    await check(board, f"/dashboard/cases/{case_id}")
    assert await board.page.locator("svg#gantt rect").count() > 0

    reader = await visit()
    await violations.watch(reader)
    await reader.sign_in(site.user(Role.auditor))
    await check(reader, "/audit")

    # the watch sees a violation when there is one: an inline style attribute is refused
    await board.page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')"
    )
    await board.page.wait_for_timeout(200)
    assert await violations.of(board.page), "an inline style was not reported"
    assert len(checked) == 11
