"""The pages in a real browser: the real app served by uvicorn on 127.0.0.1 (same event loop as
the Temporal dev server's client and the workers), driven by Playwright in Debian's headless
Chromium. No browser is ever downloaded: a missing /usr/bin/chromium fails the run."""

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from api import create_app
from routers.deps import TOKEN_COOKIE
from runtime.settings import Settings
from security.sign_in import web_token
from store.models import Role, User
from store.users import add_user
from tests.conftest import Workers
from tests.helpers import PASSWORD, unique, wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, for the whole session."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (never downloaded)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        await browser.close()


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """The pages run on SQLite (the API tests cover PostgreSQL)."""
    return sqlite_engine


class _Server(uvicorn.Server):
    """uvicorn inside the test's event loop; pytest keeps its own signal handling."""

    def capture_signals(self) -> Any:
        return contextlib.nullcontext()


@dataclass
class Site:
    url: str
    engine: Engine
    settings: Settings
    temporal: Any

    def user(self, role: Role, department: str | None = None, **identity: str) -> str:
        """A new user (unique name), password tests.helpers.PASSWORD; returns the username."""
        username = unique(f"{role.value}-{department or 'web'}")
        with Session(self.engine) as session:
            add_user(session, username, PASSWORD, role, department, username, **identity)
        return username


@pytest.fixture
async def site(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> AsyncIterator[Site]:
    """`create_app(settings, temporal)` served on a free port, with every worker running."""
    async with Workers(dev_env.client, engine, settings):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        app = create_app(settings, temporal=dev_env.client)
        server = _Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        await wait_until(lambda: server.started or task.done(), timeout=15, what="uvicorn")
        if task.done():
            task.result()
        try:
            yield Site(f"http://127.0.0.1:{port}", engine, settings, dev_env.client)
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, timeout=15)
            sock.close()


@pytest.fixture
def screenshots() -> Iterator[Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield SCREENSHOTS


class Visitor:
    """One browser context (its own cookies): a signed-in user or an anonymous visitor."""

    def __init__(self, context: BrowserContext, page: Page, site: Site, shots: Path):
        self.context = context
        self.page = page
        self.site = site
        self.shots = shots

    async def goto(self, path: str) -> None:
        response = await self.page.goto(self.site.url + path)
        assert response is not None and response.status < 500, path

    async def shot(self, name: str) -> None:
        """Save the page as artifacts/screenshots/<name>.png."""
        await self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    async def login(self, username: str, next_path: str = "", shot: str = "") -> None:
        """Through the login page (saved as `shot` if given)."""
        await self.goto("/login" + (f"?next={next_path}" if next_path else ""))
        if shot:
            await self.shot(shot)
        await self.page.fill("#username", username)
        await self.page.fill("#password", PASSWORD)
        async with self.page.expect_navigation():
            await self.page.click("button[type=submit]")

    async def reload_until(
        self, check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30
    ) -> None:
        """Reload the page until `check()` holds (the workflow moves on its own); a clear
        failure after `timeout` seconds, well inside the test's own timeout."""
        deadline = time.monotonic() + timeout
        while not await check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
            await self.page.wait_for_timeout(250)
            await self.page.reload()

    async def sign_in(self, username: str) -> None:
        """Signed in without the login page (tested elsewhere): the same token in the cookie."""
        with Session(self.site.engine) as session:
            user = session.exec(select(User).where(User.username == username)).one()
        token = web_token(user, self.site.settings)
        await self.context.add_cookies(
            [{"name": TOKEN_COOKIE, "value": token, "url": self.site.url, "httpOnly": True}]
        )

    async def submit(self, selector: str) -> None:
        async with self.page.expect_navigation():
            await self.page.click(selector)


@pytest.fixture
async def visit(browser: Browser, site: Site, screenshots: Path) -> AsyncIterator[Any]:
    """`await visit()` opens a new browser context (zh-CN, desktop size) on the site."""
    contexts: list[BrowserContext] = []

    async def open_visitor() -> Visitor:
        context = await browser.new_context(
            locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return Visitor(context, await context.new_page(), site, screenshots)

    yield open_visitor
    for context in contexts:
        await context.close()
