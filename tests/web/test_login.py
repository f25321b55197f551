"""The login page: refusals in the visitor's language (lockout with 429 and Retry-After), the
TOTP code field, sign-out that ends the session's token, and the idle timeout."""

import asyncio
import random
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from api import create_app
from routers.deps import TOKEN_COOKIE
from runtime.settings import Settings
from security.keyring import keyring_of
from security.sign_in import totp_aad
from store.models import Role, User
from store.users import add_user
from tests.helpers import PASSWORD, unique
from web.csrf import CSRF_FIELD

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]
TOKEN = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')


@asynccontextmanager
async def browser(
    dev_env: WorkflowEnvironment, settings: Settings, **changes: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with `changes` to its settings behind a cookie-keeping client at an address
    of this test alone (the throttle of 127.0.0.1 is shared by the session's tests)."""
    app = create_app(settings.model_copy(update=changes), temporal=dev_env.client)
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(address, 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://onego.test") as http:
            yield http


async def log_in(http: httpx.AsyncClient, username: str, password: str, totp: str = "") -> Any:
    found = TOKEN.search((await http.get("/login")).text)
    assert found is not None
    data = {"username": username, "password": password, "totp": totp, CSRF_FIELD: found[1]}
    return await http.post("/login", data=data)


def applicant(engine: Engine) -> User:
    with Session(engine) as session:
        return add_user(session, unique("web-applicant"), PASSWORD, Role.applicant)


async def test_wrong_passwords_then_the_lock_on_the_login_page(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    user = applicant(engine)
    async with browser(dev_env, settings, sign_in_failures=2) as http:
        wrong = await log_in(http, user.username, "not my password")
        assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
        locked = await log_in(http, user.username, "not my password")
        assert locked.status_code == 429 and locked.headers["Retry-After"] == "30"
        assert "登录失败次数过多" in locked.text
        still = await log_in(http, user.username, PASSWORD)
        assert still.status_code == 429 and TOKEN_COOKIE not in http.cookies
        english = await http.get("/login?lang=en")
        assert 'name="totp"' in english.text and "Authenticator code" in english.text
        locked_en = await log_in(http, user.username, PASSWORD)
        assert "Too many failed sign-ins" in locked_en.text


async def test_the_code_field_signs_in_enrolled_staff(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    secret = pyotp.random_base32()
    with Session(engine) as session:
        clerk = add_user(session, unique("web-clerk"), PASSWORD, Role.clerk, "tax")
        clerk.totp_sealed = keyring_of(settings).seal(secret.encode(), aad=totp_aad(clerk))
        session.add(clerk)
        session.commit()
        session.refresh(clerk)
    async with browser(dev_env, settings) as http:
        asked = await log_in(http, clerk.username, PASSWORD)
        assert asked.status_code == 401 and "6 位动态码" in asked.text
        signed_in = await log_in(http, clerk.username, PASSWORD, pyotp.TOTP(secret).now())
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/inbox"
        assert (await http.get("/inbox")).status_code == 200


async def test_sign_out_ends_the_sessions_token(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    user = applicant(engine)
    async with browser(dev_env, settings) as http:
        assert (await log_in(http, user.username, PASSWORD)).status_code == 303
        token = http.cookies[TOKEN_COOKIE]
        assert (await http.get("/cases")).status_code == 200
        found = TOKEN.search((await http.get("/cases")).text)
        assert found is not None
        out = await http.post("/logout", data={CSRF_FIELD: found[1]})
        assert out.status_code == 303 and TOKEN_COOKIE not in http.cookies
        # the old token, kept by someone, no longer works in a cookie or as a bearer token
        http.cookies.set(TOKEN_COOKIE, token)
        again = await http.get("/cases")
        assert again.status_code == 303 and again.headers["location"].startswith("/login")
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await http.get("/api/v1/auth/me", headers=bearer)).status_code == 401


async def test_an_idle_session_ends_and_an_active_one_goes_on(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    user = applicant(engine)
    idle = 3.0  # seconds
    async with browser(dev_env, settings, session_idle_minutes=idle / 60) as http:
        assert (await log_in(http, user.username, PASSWORD)).status_code == 303
        for _ in range(4):  # 4 x 1.2 s: longer than the idle limit, never idle that long
            await asyncio.sleep(1.2)
            page = await http.get("/cases")
            assert page.status_code == 200
            assert TOKEN_COOKIE in page.headers.get("set-cookie", "")  # re-issued
        token = http.cookies[TOKEN_COOKIE]
        await asyncio.sleep(idle + 0.5)
        http.cookies.set(TOKEN_COOKIE, token)  # a browser that kept it: the server refuses
        gone = await http.get("/cases")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
