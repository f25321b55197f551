"""Signing in, the same for the API (/api/v1/auth/token) and the web login page.

In order: a locked account name or client address is refused at once (429, Retry-After);
the password is checked under the hashing cap (503 when no slot frees in time) against the
user's hash, or against a dummy hash when the name is unknown or disabled (the same work,
so timing does not tell which names exist); an enrolled user's TOTP code is checked; a
failure counts for the account name and the client address, and is audited, as is the lock
it may start. Tokens carry the user's id, name, role and token version, which every request
checks against the user's row (core/security.py).
"""

import hmac
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyotp
from sqlalchemy import or_, update
from sqlmodel import Session, select

from domain.text import Text
from runtime.settings import Settings
from security.keyring import KeyRingError, keyring_of
from security.tokens import HashGate, HashingBusy, create_token, token_claims, verify_or_dummy
from store import throttle
from store.audit import record_audit
from store.models import Role, User

STAFF_ROLES = (Role.clerk, Role.supervisor, Role.manager, Role.admin, Role.auditor)
TOTP_REQUIRED_ROLES = (Role.admin, Role.auditor)


@dataclass(eq=False)
class SignInRefused(Exception):
    """A refused sign-in: the HTTP status, the error code and the bilingual message."""

    status: int
    error: str
    message: Text
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Attempt:
    """What a sign-in request carries, and where it came from (for throttling and audit)."""

    username: str
    password: str
    totp: str = ""
    client: str = ""
    request_id: str = ""


WRONG = Text(zh="用户名或密码错误", en="Wrong username or password")


def _locked(seconds: int) -> SignInRefused:
    return SignInRefused(
        429,
        "sign_in_locked",
        Text(
            zh=f"登录失败次数过多，已暂时锁定，请 {seconds} 秒后再试",
            en=f"Too many failed sign-ins: locked for now, try again in {seconds} s",
        ),
        {"Retry-After": str(seconds)},
    )


def _policies(settings: Settings) -> dict[str, throttle.Policy]:
    lock, most = settings.sign_in_lock_seconds, settings.sign_in_lock_max_seconds
    return {
        throttle.ACCOUNT: throttle.Policy(settings.sign_in_failures, lock, most),
        throttle.CLIENT: throttle.Policy(settings.sign_in_client_failures, lock, most),
    }


def totp_secret(settings: Settings, user: User) -> str | None:
    """The user's TOTP secret, opened from its sealed form; None when not enrolled."""
    if not user.totp_sealed:
        return None
    return keyring_of(settings).open(user.totp_sealed, aad=totp_aad(user)).decode()


def totp_aad(user: User) -> bytes:
    """Binds a sealed TOTP secret to its user: another user's row cannot borrow it."""
    return f"user.totp:{user.id}".encode()


class SignIn:
    """The sign-in of one request."""

    def __init__(self, session: Session, settings: Settings, gate: HashGate, attempt: Attempt):
        self.session = session
        self.settings = settings
        self.gate = gate
        self.attempt = attempt
        self.keys = [(throttle.ACCOUNT, attempt.username), (throttle.CLIENT, attempt.client)]

    def _audit(self, action: str, user: User | None, outcome: str, detail: str = "") -> None:
        record_audit(
            self.session,
            action=action,
            actor=user,
            object_type="user",
            object_id=str(user.id) if user else "",
            outcome=outcome,
            client=self.attempt.client,
            request_id=self.attempt.request_id,
            detail=detail,
        )

    def _fail(self, user: User | None, action: str, detail: str) -> SignInRefused:
        """Count the failure for the name and the address, audit it and any lock it starts,
        commit; the refusal to raise (429 when this failure started a lock)."""
        self._audit(action, user, "failure", detail)
        policies = _policies(self.settings)
        longest = 0
        for kind, value in self.keys:
            seconds = throttle.record_failure(self.session, kind, value, policies[kind])
            if seconds:
                self._audit("auth.lockout", user, "denied", f"{kind} locked for {seconds} s")
                longest = max(longest, seconds)
        self.session.commit()
        return _locked(longest) if longest else SignInRefused(401, "wrong_credentials", WRONG)

    def _deny(self, user: User, detail: str, refusal: SignInRefused) -> SignInRefused:
        self._audit("auth.sign_in_failed", user, "denied", detail)
        self.session.commit()
        return refusal

    def run(self) -> User:
        """The signed-in user; raises SignInRefused."""
        waiting = throttle.locked_for(self.session, self.keys)
        if waiting:
            raise _locked(waiting)
        user = self.session.exec(select(User).where(User.username == self.attempt.username)).first()
        usable = user if user is not None and not user.disabled else None
        hashed = usable.password_hash if usable else None
        # no database connection is held while waiting for a slot and hashing: a burst of
        # sign-ins must not take the pool from other requests
        self.session.rollback()
        try:
            with self.gate.slot():
                ok = verify_or_dummy(self.attempt.password, hashed)
        except HashingBusy as busy:
            raise SignInRefused(
                503,
                "sign_in_busy",
                Text(zh="登录繁忙，请稍后重试", en="Signing in is busy: retry in a moment"),
                {"Retry-After": str(busy.retry_after)},
            ) from None
        if not ok or usable is None:
            reason = "unknown user" if user is None else "disabled" if user.disabled else "password"
            raise self._fail(user, "auth.sign_in_failed", reason)
        self._second_factor(usable)
        # the audit row first: every path takes the chain's lock before a throttle row's
        # (no deadlock between a success and a failure of the same name on PostgreSQL)
        self._audit("auth.sign_in", usable, "success")
        throttle.clear(self.session, throttle.ACCOUNT, self.attempt.username)
        self.session.commit()
        self.session.refresh(usable)
        return usable

    def _second_factor(self, user: User) -> None:
        try:
            secret = totp_secret(self.settings, user)
        except KeyRingError:  # not sealed for this user (moved from another row), key lost
            raise self._fail(user, "auth.totp_failed", "sealed totp secret does not open") from None
        if secret is None:
            if self.settings.staff_totp == "required" and user.role in TOTP_REQUIRED_ROLES:
                raise self._deny(
                    user,
                    "totp not enrolled",
                    SignInRefused(
                        403,
                        "totp_enrolment_required",
                        Text(
                            zh="该角色必须启用双因素认证：请管理员运行 "
                            f"`onego users totp {user.username}` 完成绑定后再登录",
                            en="This role needs two-factor sign-in: have an administrator "
                            f"run `onego users totp {user.username}` to enrol, then sign in",
                        ),
                    ),
                )
            return
        code = self.attempt.totp.strip().replace(" ", "")
        if not code:
            raise self._deny(
                user,
                "totp code missing",
                SignInRefused(
                    401,
                    "totp_required",
                    Text(
                        zh="请输入身份验证器中的 6 位动态码",
                        en="Enter the 6-digit code from your authenticator app",
                    ),
                ),
            )
        step = totp_step(secret, code)
        if step is None or not self._use_step(user, step):
            raise self._fail(user, "auth.totp_failed", "wrong or used totp code")

    def _use_step(self, user: User, step: int) -> bool:
        """Record `step` as the user's last used code; False when it (or a later one) was
        used already. One conditional UPDATE: two requests with one code cannot both pass."""
        table = User.__table__  # type: ignore[attr-defined]
        last = table.c.totp_last_step
        result = self.session.execute(
            update(table)
            .where(table.c.id == user.id, or_(last.is_(None), last < step))
            .values(totp_last_step=step)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def totp_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (30 s) whose code `code` is: this one or one step either side (clock
    drift); None when it matches none."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if now is None else now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# -- tokens ---------------------------------------------------------------------------------


def token_for(user: User, settings: Settings, minutes: float | None = None, **claims: Any) -> str:
    """A bearer token of `user` at its current token version."""
    return create_token(
        str(user.id),
        settings.resolved_secret_key,
        settings.token_minutes if minutes is None else minutes,
        version=user.token_version,
        name=user.username,
        role=user.role.value,
        **claims,
    )


def web_token(user: User, settings: Settings, auth_time: int | None = None) -> str:
    """The web session's token: it ends after `session_idle_minutes` unused (each page
    re-issues it) and at the latest `token_minutes` after signing in (`auth_time`)."""
    now = int(datetime.now(UTC).timestamp())
    started = auth_time or now
    left = (started + settings.token_minutes * 60 - now) / 60
    return token_for(user, settings, min(settings.session_idle_minutes, left), auth_time=started)


def verified(
    session: Session, settings: Settings, token: str | None
) -> tuple[User, dict[str, Any]] | None:
    """The user and claims of a valid token: signed, not expired, of an enabled user whose
    id, name, role and token version all still match. None otherwise."""
    claims = token_claims(token, settings.resolved_secret_key) if token else None
    subject = str(claims["sub"]) if claims else ""
    if claims is None or not subject.isdigit():
        return None
    user = session.get(User, int(subject))
    if (
        user is None
        or user.disabled
        or claims.get("ver") != user.token_version
        or claims.get("name") != user.username
        or claims.get("role") != user.role.value
    ):
        return None
    return user, claims


def end_tokens(user: User) -> None:
    """Every token issued to `user` so far stops working (the caller commits)."""
    user.token_version += 1
