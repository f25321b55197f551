"""Password hashing (argon2 via pwdlib), the cap on concurrent hashing, and bearer tokens (JWT).

Tokens carry the user's id (`sub`), name and role, the user's `token_version` (`ver`), `iat`
and `exp`; a token without `exp`, `sub` or `ver` is refused. Bumping a user's token version
(sign-out, password change, disable, role change) ends every token issued before.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from pwdlib import PasswordHash

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "sub", "iat", "ver"]
_hasher = PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return _hasher.verify(password, hashed)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A fixed argon2 hash (same parameters as real ones) that unknown and disabled users are
    checked against, so their sign-in costs the same as a real user's (no name enumeration
    by timing). Made once per process from a random password nobody knows."""
    import secrets

    return hash_password(secrets.token_urlsafe(32))


def verify_or_dummy(password: str, hashed: str | None) -> bool:
    """`verify_password` against `hashed`, or the same work against the dummy hash (then
    always False) when there is no user to check."""
    if hashed is None:
        verify_password(password, dummy_hash())
        return False
    return verify_password(password, hashed)


class HashingBusy(Exception):
    """Every password-hashing slot stayed taken for the whole wait: answer 503, retry later."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


class HashGate:
    """At most `slots` argon2 computations at once in this process (64 MiB each): a burst of
    sign-ins waits up to `wait_s` for a slot, then is refused instead of piling up memory."""

    def __init__(self, slots: int, wait_s: float):
        self.slots = slots
        self.wait_s = wait_s
        self._semaphore = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot; raises HashingBusy when none frees within `wait_s`."""
        if not self._semaphore.acquire(timeout=self.wait_s):
            raise HashingBusy(retry_after=max(1, round(self.wait_s)))
        try:
            yield
        finally:
            self._semaphore.release()


def create_token(
    subject: str, secret: str, minutes: float, *, version: int = 0, **claims: Any
) -> str:
    """A signed token for user id `subject` at token version `version`, ending in `minutes`;
    `claims` adds more (name, role, auth_time)."""
    now = datetime.now(UTC)
    payload = {
        **claims,
        "sub": subject,
        "ver": version,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def token_claims(token: str, secret: str) -> dict[str, Any] | None:
    """The token's claims, or None if it is invalid, expired or lacks a required claim."""
    try:
        return jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS}
        )
    except jwt.PyJWTError:
        return None


def token_subject(token: str, secret: str) -> str | None:
    """The token's subject, or None if it is invalid or expired."""
    claims = token_claims(token, secret)
    return str(claims["sub"]) if claims else None
