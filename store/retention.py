"""Retention (PIPL art. 19, 47): the personal data of cases closed longer than the retention
period (RETENTION_YEARS, default 3) is erased from the read model; what the reform is judged
by stays.

Erased: the case's form and free-text reason; each item's issued outputs, supplement request
and reason text; the personal keys of the case's event details (outputs, reason, supplement);
the text of its notifications; the simulated back-ends' ledger of its outputs; its documents
(rows and sealed blobs, documents/records.py). Uploads that no case took up are forgotten by
each run too.
Kept: statuses, dates, materials and time figures, breaches, reason codes, who decided
(staff names), the event log's kinds and times, the dashboard's rollups (which never held
personal data) and the audit trail (which must be kept and cannot be changed).

A case is erased once (`case.erased_at`), so running again changes nothing; each run is
recorded in the audit trail (retention.run, "<n> cases"), in the transaction of its erasure.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain.statuses import CaseStatus
from runtime.settings import Settings
from store.audit import record_audit
from store.models import (
    CASE,
    EVENT,
    ITEM,
    NOTIFICATION,
    Case,
    CaseEvent,
    Draft,
    SimulatedIssue,
    utcnow,
)

OPEN = (CaseStatus.submitted, CaseStatus.running)
# An applicant's unfinished form (web/drafts.py) is kept this long after its last save.
DRAFT_DAYS = 30
PERSONAL_DETAIL = frozenset({"outputs", "reason", "supplement", "fields", "data"})
ERASED_TEXT = {
    "zh": "（已超过保存期限，个人信息已删除）",
    "en": "(personal data erased after the retention period)",
}
BATCH = 200
ACTOR = "retention"
DAY_SECONDS = 24 * 3600
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionReport:
    cutoff: datetime
    erased: int
    documents: int = 0  # documents forgotten: of erased cases, and uploads no case took up
    drafts: int = 0  # unfinished forms untouched for DRAFT_DAYS, deleted


class DocumentForgetting(Protocol):
    """How a run forgets documents (documents/records.py, above this layer): each commits
    its rows' deletion, then deletes the blobs no row names any more; returns how many."""

    def case_documents(self, session: Session, case_id: str) -> int: ...

    def unattached(self, session: Session, now: datetime) -> int: ...


def period_of(settings: Settings) -> timedelta:
    """RETENTION_DAYS when set, else RETENTION_YEARS (of 365.25 days)."""
    if settings.retention_days:
        return timedelta(days=settings.retention_days)
    return timedelta(days=round(365.25 * settings.retention_years))


def _due(session: Session, cutoff: datetime) -> list[str]:
    """A batch of cases closed before `cutoff` and not erased yet (locked on PostgreSQL,
    skipping those another run holds)."""
    query = (
        select(Case.id)
        .where(
            col(Case.status).not_in(OPEN),
            col(Case.completed_at) < cutoff,
            col(Case.erased_at).is_(None),
        )
        .order_by(col(Case.completed_at))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(query))


def _without_personal(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k not in PERSONAL_DETAIL}


def _erase(session: Session, case_ids: list[str], now: datetime) -> None:
    ids = col(Case.id).in_(case_ids)
    session.execute(update(CASE).where(ids).values(form={}, reason=None, erased_at=now))
    session.execute(
        update(ITEM)
        .where(ITEM.c.case_id.in_(case_ids))
        .values(outputs={}, supplement=None, reason=None)
    )
    for event in session.exec(select(CaseEvent).where(col(CaseEvent.case_id).in_(case_ids))):
        if PERSONAL_DETAIL & event.detail.keys():
            session.execute(
                update(EVENT)
                .where(EVENT.c.id == event.id)
                .values(detail=_without_personal(event.detail))
            )
    session.execute(
        update(NOTIFICATION).where(NOTIFICATION.c.case_id.in_(case_ids)).values(text=ERASED_TEXT)
    )
    session.execute(
        update(SimulatedIssue)
        .where(col(SimulatedIssue.case_id).in_(case_ids))
        .values(outputs={}, revoke_reason=None)
    )


def run_retention(
    engine: Engine,
    period: timedelta,
    now: datetime | None = None,
    documents: DocumentForgetting | None = None,
) -> RetentionReport:
    """Erase the personal data of every case closed longer than `period` before `now`, and
    (with `documents`) forget their documents and the uploads no case took up.

    Batches of cases, each in its own transaction with its audit row and the deletion of
    its documents' rows (their blobs go right after); a run that finds none records
    "0 cases"."""
    now = now or utcnow()
    cutoff = now - period
    erased = forgotten = 0
    while True:
        with Session(engine) as session:
            case_ids = _due(session, cutoff)
            if case_ids:
                _erase(session, case_ids, now)
            if case_ids or not erased:
                record_audit(
                    session,
                    action="retention.run",
                    actor_name=ACTOR,
                    object_type="case",
                    detail=f"{len(case_ids)} cases",
                )
            if documents is not None:  # each commits the batch so far, then deletes blobs
                forgotten += sum(documents.case_documents(session, c) for c in case_ids)
            session.commit()
        erased += len(case_ids)
        if len(case_ids) < BATCH:
            break
    if documents is not None:
        with Session(engine) as session:
            forgotten += documents.unattached(session, now)
    return RetentionReport(cutoff, erased, forgotten, _forget_drafts(engine, now))


def _forget_drafts(engine: Engine, now: datetime) -> int:
    """Delete the drafts nobody saved for `DRAFT_DAYS` (they hold sealed personal answers)."""
    with Session(engine) as session:
        stale = session.exec(
            select(Draft).where(col(Draft.updated_at) < now - timedelta(days=DRAFT_DAYS))
        ).all()
        for draft in stale:
            session.delete(draft)
        session.commit()
    return len(stale)


async def run_daily(
    engine: Engine,
    period: timedelta,
    documents: DocumentForgetting | None = None,
    every: float = DAY_SECONDS,
) -> None:
    """The workflow worker's schedule: a run at start, then one a day. A failed run is
    logged and tried again the next day; several workers running it at once erase each case
    once (erased_at, and skip-locked batches on PostgreSQL)."""
    while True:
        try:
            report = await asyncio.to_thread(run_retention, engine, period, None, documents)
            log.info("retention: erased the personal data of %d cases", report.erased)
        except Exception:  # noqa: BLE001 - the worker goes on; the next run catches up
            log.exception("retention run failed; the next one is in %.0f s", every)
        await asyncio.sleep(every)
