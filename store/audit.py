"""The append-only audit trail: who did or saw what, when, from where, with what outcome.

Every row carries `hash = SM3(prev_hash ‖ canonical row)` (GB/T 32905), the canonical row
being the JSON of every column but `hash`, keys sorted, times in ISO UTC; the first row's
`prev_hash` is 64 zeros. A row changed or removed in the database breaks the chain at that
row (`verify_chain`, `onego audit verify`); the database itself refuses UPDATE and DELETE of
audit rows (migration 0005).

Writers serialise the chain inside the caller's transaction, so the row commits (or rolls
back) with the action it records: PostgreSQL takes a transaction-scoped advisory lock before
reading the last row; SQLite takes its single write lock first (a write statement that
touches no row), so no other writer can chain on the same row.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from fastapi import Request
from sqlalchemy import text
from sqlmodel import Session, col, select

from store.models import AuditEvent, User, utcnow

GENESIS = "0" * 64
CHAIN_LOCK = 0x6F6E65676F41  # "onegoA": PostgreSQL advisory lock of the audit chain
OUTCOMES = ("success", "failure", "denied")
REQUEST_ID_HEADER = "X-Request-ID"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(event: AuditEvent) -> str:
    """The row as hashed: every column but `hash`, keys sorted, times in ISO UTC."""
    row: dict[str, Any] = {}
    for name in AuditEvent.model_fields:
        if name == "hash":
            continue
        value = getattr(event, name)
        row[name] = _iso(value) if isinstance(value, datetime) else value
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    """SM3(prev_hash ‖ canonical row), lower-case hex."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical(event).encode("utf-8"))
    return digest.finalize().hex()


def _lock_chain(session: Session) -> None:
    """Hold the chain until the caller's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})"))
    else:
        # SQLite: a write statement (matching no row) takes the database's write lock, which
        # the transaction then keeps; a concurrent writer waits for our commit.
        session.execute(text("UPDATE audit_event SET seq = seq WHERE 0"))


def record_audit(
    session: Session,
    *,
    action: str,
    actor: User | None = None,
    actor_name: str = "",
    object_type: str = "",
    object_id: str = "",
    outcome: str = "success",
    client: str = "",
    request_id: str = "",
    detail: str = "",
) -> None:
    """Add one chained audit row to `session`; the caller's commit writes it with the action.

    `detail` must never hold personal data (ID numbers, names, phones, accounts, addresses).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    _lock_chain(session)
    last = session.exec(
        select(AuditEvent.seq, AuditEvent.hash).order_by(col(AuditEvent.seq).desc()).limit(1)
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = AuditEvent(
        seq=seq,
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_name=printable(actor_name or (actor.username if actor else ""))[:64],
        role=str(actor.role) if actor else "",
        department=(actor.department or "") if actor else "",
        action=action,
        object_type=object_type,
        object_id=printable(object_id)[:128],
        outcome=outcome,
        client=printable(client)[:64],
        request_id=printable(request_id)[:64],
        detail=printable(detail),
        prev_hash=prev_hash,
        hash="",
    )
    event.hash = chain_hash(prev_hash, event)
    session.add(event)
    session.flush()  # the next writer in this transaction chains on this row


def printable(text: str) -> str:
    """Text as the trail keeps it: control characters shown as escapes, so a caller's value
    can neither forge a line of an export nor break the write (PostgreSQL refuses NUL)."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def request_id_of(request: Request) -> str:
    """The request's id: its X-Request-ID header, or one made (and kept) for this request."""
    rid = getattr(request.state, "request_id", None)
    if not rid:
        header = request.headers.get(REQUEST_ID_HEADER, "")
        rid = header[:64] if header.isprintable() and header else uuid.uuid4().hex
        request.state.request_id = rid
    return str(rid)


def client_of(request: Request) -> str:
    """The client's address as the server saw it."""
    return request.client.host if request.client else ""


def audit_request(
    session: Session, request: Request, user: User | None, action: str, **kw: Any
) -> None:
    """`record_audit` with the actor, client address and request id taken from a request."""
    kw.setdefault("client", client_of(request))
    kw.setdefault("request_id", request_id_of(request))
    record_audit(session, action=action, actor=user, **kw)


# -- verification -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the chain: `broken_at` is None when it is intact."""

    rows: int
    broken_at: int | None = None
    problem: str = ""
    head: str = GENESIS
    first_at: datetime | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def iter_events(session: Session, after: int = 0, batch: int = 1000) -> Iterator[AuditEvent]:
    """The audit rows after seq `after` in chain order, read in batches (the trail grows
    without end)."""
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.seq > after)
            .order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()


def verify_chain(session: Session, start_at: int = 1) -> ChainReport:
    """Walk the chain from row `start_at` (1: from the genesis; later: a trail whose older
    rows were pruned, trusting that row's `prev_hash`); name the first row that breaks it."""
    prev_hash, expected_seq, count = GENESIS, start_at, 0
    first_at: datetime | None = None
    for event in iter_events(session, after=start_at - 1):
        if first_at is None:
            first_at = event.at
            prev_hash = event.prev_hash if start_at > 1 else GENESIS
        problem = ""
        if event.seq != expected_seq:
            problem = f"sequence jumps from {expected_seq - 1} to {event.seq} (rows missing)"
        elif event.prev_hash != prev_hash:
            problem = "prev_hash does not match the previous row's hash (a row before it "
            problem += "was changed or removed)"
        elif chain_hash(event.prev_hash, event) != event.hash:
            problem = "hash does not match the row's content (the row was changed)"
        if problem:
            return ChainReport(count, event.seq, problem, prev_hash, first_at)
        prev_hash, expected_seq, count = event.hash, event.seq + 1, count + 1
    return ChainReport(count, None, "", prev_hash, first_at)


def event_dict(event: AuditEvent) -> dict[str, Any]:
    """A row as JSON-ready values (export, API)."""
    row = event.model_dump()
    row["at"] = _iso(event.at)
    return row
