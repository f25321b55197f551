"""The audit trail on the web side: `Auditor` records a request's views and actions, and the
auditor role reads the trail (GET /api/v1/audit).

Reading the trail is for the `auditor` role alone, not `admin`: audit administration is kept
apart from system administration (MLPS 2.0's separation of the system, security and audit
administrators). No endpoint changes or deletes a row; the database refuses it anyway.
"""

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlmodel import Session, col, select

from cases.errors import CaseError
from middleware.bounds import MAX_ID, QueryDay, day_query
from routers.deps import SessionDep, require
from routers.errors import status_of
from routers.responses import SIGNED_IN
from store.audit import audit_request
from store.db import commit_keeping_values
from store.models import AuditEvent, Role, User

log = logging.getLogger(__name__)
MAX_PAGE = 500


def _status(exc: BaseException) -> int | None:
    """The HTTP status a refusal is answered with (a case error's as the API answers it)."""
    if isinstance(exc, HTTPException):
        return exc.status_code
    return status_of(exc) if isinstance(exc, CaseError) else None


def outcome_of(exc: BaseException) -> str:
    """`denied` for a refusal of who the user is (401, 403), else `failure`."""
    return "denied" if _status(exc) in (401, 403) else "failure"


def _what(exc: BaseException) -> str:
    """The refusal, without its message (which may quote what the user sent)."""
    status = _status(exc)
    return f"HTTP {status}" if status is not None else type(exc).__name__


class Auditor:
    """Writes the audit rows of one request, each committed with what the session holds.

    `watched` (and `awatched` in async code) records the outcome of the block it wraps: its
    changes and the `success` row commit together; on an exception its changes are rolled
    back and a `failure` (or `denied`) row is committed before the exception goes on.
    """

    def __init__(self, request: Request, session: Session):
        self.request = request
        self.session = session

    def add(self, user: User | None, action: str, **kw: Any) -> None:
        """The row in the session's transaction, committed with the action's own changes."""
        audit_request(self.session, self.request, user, action, **kw)

    def record(self, user: User | None, action: str, **kw: Any) -> None:
        self.add(user, action, **kw)
        # The request's objects keep their values: pages render them (the error page even
        # after the session has closed), as they did before the trail had its commit.
        commit_keeping_values(self.session)

    def _refused(self, exc: BaseException, user: User | None, action: str, **kw: Any) -> None:
        session = self.session
        try:
            if session.new or session.dirty or session.deleted or not session.is_active:
                session.rollback()  # the refused action's changes are not written
                if user is not None and user in session:
                    session.refresh(user)
            self.record(user, action, outcome=outcome_of(exc), detail=_what(exc), **kw)
        except Exception:  # the original error matters more; the failure is logged
            log.exception("audit row of a refused %s not written", action)

    @contextmanager
    def watched(
        self, user: User | None, action: str, object_type: str, object_id: str, detail: str = ""
    ) -> Iterator[None]:
        what = {"object_type": object_type, "object_id": object_id}
        try:
            yield
        except Exception as exc:
            self._refused(exc, user, action, **what)
            raise
        self.record(user, action, detail=detail, **what)

    @asynccontextmanager
    async def awatched(
        self, user: User | None, action: str, object_type: str, object_id: str, detail: str = ""
    ) -> AsyncIterator[None]:
        what = {"object_type": object_type, "object_id": object_id}
        try:
            yield
        except Exception as exc:
            await run_in_threadpool(self._refused, exc, user, action, **what)
            raise
        await run_in_threadpool(lambda: self.record(user, action, detail=detail, **what))


async def get_auditor(request: Request, session: SessionDep) -> Auditor:
    return Auditor(request, session)


AuditDep = Annotated[Auditor, Depends(get_auditor)]

# -- reading the trail ---------------------------------------------------------------------


class AuditEventPublic(BaseModel):
    seq: int
    at: datetime
    actor_id: int | None
    actor_name: str
    role: str
    department: str
    action: str
    object_type: str
    object_id: str
    outcome: str
    client: str
    request_id: str
    detail: str
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    """One page of the trail in chain order; `next_after` pages on (None: the last page)."""

    events: list[AuditEventPublic]
    next_after: int | None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_page(
    session: Session,
    start: date | None = None,
    to: date | None = None,
    actor: str | None = None,
    action: str | None = None,
    object_id: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> AuditPage:
    """The rows matching the filters (days in UTC, both included), after seq `after`."""
    query = select(AuditEvent).where(AuditEvent.seq > after)
    if start:
        query = query.where(AuditEvent.at >= _day_start(start))
    if to:
        query = query.where(AuditEvent.at < _day_start(to) + timedelta(days=1))
    if actor:
        query = query.where(AuditEvent.actor_name == actor)
    if action:
        query = query.where(AuditEvent.action == action)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    rows = session.exec(query.order_by(col(AuditEvent.seq)).limit(limit + 1)).all()
    events = [AuditEventPublic.model_validate(r, from_attributes=True) for r in rows[:limit]]
    return AuditPage(events=events, next_after=events[-1].seq if len(rows) > limit else None)


router = APIRouter(prefix="/audit", tags=["audit"], responses=SIGNED_IN)
AuditorUser = Annotated[User, Depends(require(Role.auditor))]


@router.get("")
def read_trail(
    user: AuditorUser,
    session: SessionDep,
    audit: AuditDep,
    start: Annotated[QueryDay, day_query("First day (UTC)", alias="from")] = None,
    to: Annotated[QueryDay, day_query("Last day (UTC), inclusive")] = None,
    actor: str | None = None,
    action: str | None = None,
    object: Annotated[str | None, Query(max_length=128)] = None,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AuditPage:
    """The audit trail for the auditor role (admin excluded), in chain order, filtered by
    day (from/to, UTC), actor user name, action and object id; page on with `after`.
    Each read is itself recorded (audit.view)."""
    page = audit_page(session, start, to, actor, action, object, after, limit)
    audit.record(user, "audit.view", object_type="audit", detail=f"{len(page.events)} rows")
    return page
