"""Failed sign-ins per account name and per client address, and the locks they earn.

A key that fails `threshold` times in a row is locked for `lock_seconds`, and each further
failure after a lock doubles it (30 s, 60 s, 120 s, ... up to `max_seconds`). A key's count
starts again after a success (account keys) or once it has been quiet for `max_seconds`.
Rows live in the database (table `sign_in_throttle`), so a lock holds across restarts and
every API process sees it; keys are stored as SHA-256 digests, never as typed names.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from store.models import SignInThrottle, utcnow

ACCOUNT = "account"
CLIENT = "client"


@dataclass(frozen=True)
class Policy:
    """When a key is locked and for how long."""

    threshold: int
    lock_seconds: int
    max_seconds: int

    def lock_after(self, failures: int) -> int:
        """Seconds of lock earned by the `failures`-th failure in a row (0: none yet)."""
        if failures < self.threshold:
            return 0
        return min(self.lock_seconds * 2 ** min(failures - self.threshold, 30), self.max_seconds)


def digest(kind: str, value: str) -> str:
    """The stored key of an account name (case-insensitive) or a client address."""
    normalised = value.strip().lower() if kind == ACCOUNT else value
    return hashlib.sha256(f"{kind}:{normalised}".encode()).hexdigest()


def locked_for(session: Session, keys: list[tuple[str, str]], now: datetime | None = None) -> int:
    """Seconds until every (kind, value) of `keys` is unlocked; 0 when none is locked."""
    now = now or utcnow()
    wanted = [(kind, digest(kind, value)) for kind, value in keys]
    rows = session.exec(
        select(SignInThrottle).where(col(SignInThrottle.key).in_([k for _, k in wanted]))
    ).all()
    remaining = [
        (row.locked_until - now).total_seconds()
        for row in rows
        if (row.kind, row.key) in wanted and row.locked_until and row.locked_until > now
    ]
    return max(1, round(max(remaining))) if remaining else 0


def _insert_absent(session: Session, kind: str, key: str, now: datetime) -> None:
    """The key's row, created if missing without racing another process that creates it."""
    values = {"kind": kind, "key": key, "failures": 0, "last_failure": now}
    table = SignInThrottle.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    session.execute(insert.values(**values).on_conflict_do_nothing())


def record_failure(session: Session, kind: str, value: str, policy: Policy) -> int:
    """Count one failure of the key; returns the seconds of a lock it starts (0: none).
    The caller commits (with the audit rows of the failure)."""
    now = utcnow()
    key = digest(kind, value)
    _insert_absent(session, kind, key, now)
    row = session.exec(
        select(SignInThrottle)
        .where(SignInThrottle.kind == kind, SignInThrottle.key == key)
        .with_for_update()
    ).one()
    if row.failures and now - row.last_failure > timedelta(seconds=policy.max_seconds):
        row.failures = 0  # quiet long enough: a fresh start
    row.failures += 1
    row.last_failure = now
    seconds = policy.lock_after(row.failures)
    if seconds:
        row.locked_until = now + timedelta(seconds=seconds)
    session.add(row)
    return seconds


def clear(session: Session, kind: str, value: str) -> None:
    """Forget the key's failures (after a successful sign-in of that account)."""
    session.exec(  # type: ignore[call-overload]
        delete(SignInThrottle).where(
            col(SignInThrottle.kind) == kind, col(SignInThrottle.key) == digest(kind, value)
        )
    )
