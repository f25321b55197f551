"""Signing in through the API: lockout and 429, the per-address throttle, equal work for unknown
names, the hashing cap, tokens that end, TOTP; on SQLite and PostgreSQL."""

import asyncio
import random
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pyotp
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from api import create_app
from routers.auth import hash_gate
from runtime.settings import Settings
from security.keyring import keyring_of
from security.sign_in import totp_aad
from security.tokens import ALGORITHM
from store.models import AuditEvent, Role, SignInThrottle, User
from store.throttle import ACCOUNT, digest
from store.users import add_user, set_disabled, set_password, set_role
from tests.helpers import PASSWORD, unique

pytestmark = pytest.mark.timeout(120)


def some_address() -> str:
    """A client address of this test alone (the session's databases are shared, and so
    would be the throttle of 127.0.0.1)."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@dataclass
class Site:
    app: FastAPI
    settings: Settings
    engine: Engine

    @asynccontextmanager
    async def client(self, address: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=self.app, client=(address or some_address(), 4321))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://onego.test", timeout=60
        ) as http:
            yield http

    def user(self, role: Role = Role.applicant, department: str | None = None) -> User:
        with Session(self.engine) as session:
            return add_user(session, unique(role.value), PASSWORD, role, department)

    def audit(self, user: User) -> list[AuditEvent]:
        with Session(self.engine) as session:
            query = select(AuditEvent).where(
                AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id)
            )
            return list(session.exec(query.order_by(col(AuditEvent.seq))).all())


@asynccontextmanager
async def site(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings, **changes: Any
) -> AsyncIterator[Site]:
    """The real app with `changes` to the test's settings, its lifespan running."""
    changed = settings.model_copy(update=changes)
    app = create_app(changed, temporal=dev_env.client)
    async with app.router.lifespan_context(app):
        yield Site(app, changed, engine)


async def sign_in(
    http: httpx.AsyncClient, username: str, password: str, totp: str = ""
) -> httpx.Response:
    data = {"username": username, "password": password}
    if totp:
        data["totp"] = totp
    return await http.post("/api/v1/auth/token", data=data)


def bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def assert_locked(response: httpx.Response, seconds: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == str(seconds)
    body = response.json()
    assert body["error"] == "sign_in_locked"
    assert "锁定" in body["message"]["zh"] and "try again" in body["message"]["en"]


async def test_lockout_after_failures_then_429_even_with_the_right_password(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    async with (
        site(dev_env, engine, settings, sign_in_failures=3, sign_in_lock_seconds=1) as s,
        s.client() as http,
    ):
        user = s.user()
        for _ in range(2):
            wrong = await sign_in(http, user.username, "wrong password!")
            assert wrong.status_code == 401 and wrong.json()["error"] == "wrong_credentials"
        assert_locked(await sign_in(http, user.username, "wrong password!"), 1)
        # the lock holds even for the right password, and costs no hashing
        assert_locked(await sign_in(http, user.username, PASSWORD), 1)
        await asyncio.sleep(1.2)
        # the next failure doubles the lock
        assert_locked(await sign_in(http, user.username, "wrong again!"), 2)
        await asyncio.sleep(2.2)
        bearer(await sign_in(http, user.username, PASSWORD))
        # success clears the account's count
        assert (await sign_in(http, user.username, "wrong password!")).status_code == 401

    actions = [(e.action, e.outcome) for e in s.audit(user)]
    assert actions.count(("auth.sign_in_failed", "failure")) == 5
    assert actions.count(("auth.lockout", "denied")) == 2
    assert actions.count(("auth.sign_in", "success")) == 1
    lockouts = [e for e in s.audit(user) if e.action == "auth.lockout"]
    assert [e.detail for e in lockouts] == ["account locked for 1 s", "account locked for 2 s"]
    assert all(e.client.startswith("10.") for e in lockouts)


async def test_the_lock_is_in_the_database_and_survives_a_restart(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    address = some_address()
    async with (
        site(dev_env, engine, settings, sign_in_failures=2) as s,
        s.client(address) as http,
    ):
        user = s.user()
        await sign_in(http, user.username, "wrong password!")
        assert_locked(await sign_in(http, user.username, "wrong password!"), 30)
    async with site(dev_env, engine, settings, sign_in_failures=2) as again:  # a new process
        async with again.client() as other_http:
            locked = await sign_in(other_http, user.username, PASSWORD)
    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 30


async def test_one_address_is_throttled_across_user_names(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    address = some_address()
    async with site(dev_env, engine, settings, sign_in_client_failures=4) as s:
        user = s.user()
        async with s.client(address) as http:
            for n in range(3):
                response = await sign_in(http, unique(f"nobody{n}"), "guess guess guess")
                assert response.status_code == 401
            assert_locked(await sign_in(http, unique("nobody"), "guess guess guess"), 30)
            # the address is locked, whatever the name and password
            assert_locked(await sign_in(http, user.username, PASSWORD), 30)
        async with s.client() as elsewhere:
            bearer(await sign_in(elsewhere, user.username, PASSWORD))
    with Session(engine) as session:
        query = select(AuditEvent).where(
            AuditEvent.action == "auth.lockout", AuditEvent.client == address
        )
        assert [e.detail for e in session.exec(query).all()] == ["client locked for 30 s"]


async def test_unknown_and_known_names_take_about_the_same_time(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    """Without the dummy hash an unknown name answered in ~5 ms and a real one in ~150 ms."""
    async with (
        site(dev_env, engine, settings, sign_in_failures=100, sign_in_client_failures=100) as s,
        s.client() as http,
    ):
        user = s.user()
        disabled = s.user()
        with Session(engine) as session:
            row = session.get(User, disabled.id)
            assert row is not None
            set_disabled(row, True)
            session.add(row)
            session.commit()

        async def median(name: str) -> float:
            times = []
            for _ in range(5):
                started = time.perf_counter()
                response = await sign_in(http, name, "not the password")
                times.append(time.perf_counter() - started)
                assert response.status_code == 401
            return statistics.median(times)

        known = await median(user.username)
        unknown = await median(unique("nobody"))
        # a disabled user is refused even with the right password, as slowly
        started = time.perf_counter()
        refused = await sign_in(http, disabled.username, PASSWORD)
        disabled_time = time.perf_counter() - started
    assert refused.status_code == 401 and refused.json()["error"] == "wrong_credentials"
    assert 0.5 < unknown / known < 2, (known, unknown)
    assert 0.33 < disabled_time / known < 3, (known, disabled_time)


async def test_the_hashing_cap_answers_busy_with_retry_after(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    async with (
        site(dev_env, engine, settings, password_hash_concurrency=1, password_hash_wait_s=0.2) as s,
        s.client() as http,
    ):
        user = s.user()
        request = type("R", (), {"app": s.app})()  # hash_gate reads request.app only
        gate = hash_gate(request)  # type: ignore[arg-type]
        with gate.slot():  # a slow hash holds the only slot
            busy = await sign_in(http, user.username, PASSWORD)
        assert busy.status_code == 503, busy.text
        assert busy.headers["Retry-After"] == "1"
        assert busy.json()["error"] == "sign_in_busy" and busy.json()["message"]["en"]
        bearer(await sign_in(http, user.username, PASSWORD))  # the slot is free again
        # two at once with the only slot: both served, one after the other (within the wait)
        first, second = await asyncio.gather(
            sign_in(http, user.username, PASSWORD), sign_in(http, user.username, PASSWORD)
        )
        statuses = sorted([first.status_code, second.status_code])
        assert statuses in ([200, 200], [200, 503])


async def me(http: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return (await http.get("/api/v1/auth/me", headers=headers)).status_code


async def test_tokens_end_at_sign_out_password_change_disable_and_role_change(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    async with site(dev_env, engine, settings) as s, s.client() as http:
        user = s.user()
        old = bearer(await sign_in(http, user.username, PASSWORD))
        assert await me(http, old) == 200
        assert (await http.post("/api/v1/auth/logout", headers=old)).status_code == 204
        assert await me(http, old) == 401
        assert [e.action for e in s.audit(user)][-1] == "auth.sign_out"

        def change(how: Any) -> None:
            with Session(engine) as session:
                row = session.get(User, user.id)
                assert row is not None
                how(row)
                session.add(row)
                session.commit()

        password = "a new long pass phrase"
        before = bearer(await sign_in(http, user.username, PASSWORD))
        change(lambda u: set_password(u, password))
        assert await me(http, before) == 401
        before = bearer(await sign_in(http, user.username, password))
        change(lambda u: set_role(u, Role.manager, None))
        assert await me(http, before) == 401
        before = bearer(await sign_in(http, user.username, password))
        assert await me(http, before) == 200
        change(lambda u: set_disabled(u, True))
        assert await me(http, before) == 401
        # disabled: cannot sign in either, with the right password
        assert (await sign_in(http, user.username, password)).status_code == 401


def forged(settings: Settings, user: User, **claims: Any) -> dict[str, str]:
    now = datetime.now(UTC)
    payload = {
        "sub": str(user.id),
        "ver": user.token_version,
        "name": user.username,
        "role": user.role.value,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    token = jwt.encode(payload, settings.resolved_secret_key, algorithm=ALGORITHM)
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_without_exp_or_of_another_user_is_refused(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    async with site(dev_env, engine, settings) as s, s.client() as http:
        user = s.user()
        assert await me(http, forged(s.settings, user)) == 200  # the forgery is well made
        assert await me(http, forged(s.settings, user, exp=None)) == 401
        assert await me(http, forged(s.settings, user, ver=None)) == 401
        # a token of the same id issued to another name or role (an id reused) is refused
        assert await me(http, forged(s.settings, user, name="someone-else")) == 401
        assert await me(http, forged(s.settings, user, role="admin")) == 401


def enrol(site: Site, user: User) -> pyotp.TOTP:
    """What `onego users totp` stores (tested in test_cli_users.py): a sealed secret."""
    secret = pyotp.random_base32()
    with Session(site.engine) as session:
        row = session.get(User, user.id)
        assert row is not None
        row.totp_sealed = keyring_of(site.settings).seal(secret.encode(), aad=totp_aad(row))
        session.add(row)
        session.commit()
    return pyotp.TOTP(secret)


async def test_totp_is_asked_once_enrolled_and_a_wrong_code_counts_as_a_failure(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    async with site(dev_env, engine, settings, sign_in_failures=3) as s, s.client() as http:
        clerk = s.user(Role.clerk, "tax")
        totp = enrol(s, clerk)
        asked = await sign_in(http, clerk.username, PASSWORD)
        assert asked.status_code == 401 and asked.json()["error"] == "totp_required"
        assert "6" in asked.json()["message"]["zh"]
        wrong_code = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
        wrong = await sign_in(http, clerk.username, PASSWORD, wrong_code)
        assert wrong.status_code == 401 and wrong.json()["error"] == "wrong_credentials"
        code = totp.now()
        bearer(await sign_in(http, clerk.username, PASSWORD, code))
        replayed = await sign_in(http, clerk.username, PASSWORD, code)  # a code works once
        assert replayed.status_code == 401 and replayed.json()["error"] == "wrong_credentials"
        # a stolen password alone is not enough, nor a sealed secret moved to another user
        other = s.user(Role.clerk, "tax")
        with Session(engine) as session:
            row, donor = session.get(User, other.id), session.get(User, clerk.id)
            assert row is not None and donor is not None
            row.totp_sealed = donor.totp_sealed
            session.add(row)
            session.commit()
        moved = await sign_in(http, other.username, PASSWORD, totp.now())
        assert moved.status_code == 401 and moved.json()["error"] == "wrong_credentials"
    actions = [e.action for e in s.audit(clerk)]
    assert actions.count("auth.totp_failed") == 2 and "auth.sign_in" in actions
    assert [e.detail for e in s.audit(clerk) if e.action == "auth.totp_failed"] == [
        "wrong or used totp code"
    ] * 2


async def test_staff_totp_required_refuses_an_unenrolled_admin(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    async with site(dev_env, engine, settings, staff_totp="required") as s, s.client() as http:
        admin, manager = s.user(Role.admin), s.user(Role.manager)
        refused = await sign_in(http, admin.username, PASSWORD)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "totp_enrolment_required"
        assert "onego users totp" in refused.json()["message"]["en"]
        assert "onego users totp" in refused.json()["message"]["zh"]
        bearer(await sign_in(http, manager.username, PASSWORD))  # required for admin, auditor
        totp = enrol(s, admin)
        bearer(await sign_in(http, admin.username, PASSWORD, totp.now()))
    assert [(e.action, e.outcome) for e in s.audit(admin)][0] == ("auth.sign_in_failed", "denied")


async def test_concurrent_failures_of_one_name_are_all_counted(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    """Several API requests (or processes) failing on one new name at once: each failure is
    counted once, none is lost and none errors on the row they all create."""
    name = unique("nobody")
    async with (
        site(
            dev_env,
            engine,
            settings,
            sign_in_failures=100,
            password_hash_concurrency=5,
            password_hash_wait_s=60,
        ) as s,
        s.client() as http,
    ):
        answers = await asyncio.gather(*(sign_in(http, name, "guess guess") for _ in range(5)))
    assert [a.status_code for a in answers] == [401] * 5
    with Session(engine) as session:
        row = session.exec(
            select(SignInThrottle).where(SignInThrottle.key == digest(ACCOUNT, name))
        ).one()
    assert row.failures == 5
