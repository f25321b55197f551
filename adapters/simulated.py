"""The embedded default department back-end: a simulated department.

It issues realistic, deterministic outputs (certificate numbers, a valid resident ID number)
and keeps a ledger idempotent by (case id, item): performing the same request again returns
the first issue, so an activity re-run after a crash never issues a second certificate.
Given `ready`, it takes time as a real back-end may (card production, a nightly batch): the
first request is accepted and answered with the time it will be issued (`ItemResult.ready_at`);
asked again from that time on, it answers with the issue.
"""

import asyncio
import hashlib
import random
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from stdnum.cn import ric
from temporalio import activity
from temporalio.exceptions import ApplicationError

from catalog.models import OutputDef, OutputFormat
from store.db import insert, once_per_dialect
from store.models import SIMULATED_ISSUE, SimulatedIssue
from workflows.models import CompensationRequest, CompensationResult, ItemRequest, ItemResult

# When a back-end issues a request it first received at the given time (None: at once).
ReadyAt = Callable[[ItemRequest, datetime], datetime | None]


# What an issue answers, and the earlier issue of a (case, item); statements built once.
ANSWER = (SIMULATED_ISSUE.c.outputs, SIMULATED_ISSUE.c.issued_at, SIMULATED_ISSUE.c.ready_at)
EARLIER = select(*ANSWER).where(
    SIMULATED_ISSUE.c.case_id == bindparam("case_id"), SIMULATED_ISSUE.c.item == bindparam("item")
)
# Insert an issue unless the (case, item) has one, returning its answer.
_issue_statement = once_per_dialect(
    lambda connection: (
        insert(connection, SIMULATED_ISSUE).on_conflict_do_nothing().returning(*ANSWER)
    )
)


class DepartmentUnavailable(Exception):
    """The department system did not answer (retryable)."""


class SimulatedDepartment:
    """A department system that answers after `latency_ms`, fails at `failure_rate` and,
    given `ready`, issues when that says."""

    def __init__(
        self,
        engine: Engine,
        latency_ms: int = 0,
        failure_rate: float = 0.0,
        ready: ReadyAt | None = None,
    ):
        self._engine = engine
        self._latency = latency_ms / 1000
        self._failure_rate = failure_rate
        self._ready = ready

    async def perform(self, request: ItemRequest) -> ItemResult:
        await self._answer(request.department)
        # When it was asked: on the Temporal server's clock, the workflows' (simulated time
        # on a time-skipping server).
        asked = activity.info().current_attempt_scheduled_time
        return await asyncio.to_thread(self._issue_once, request, asked)

    async def revoke(self, request: CompensationRequest) -> CompensationResult:
        """Undo an issue (idempotent: a second revocation changes nothing)."""
        await self._answer(request.department)
        return await asyncio.to_thread(self._revoke_once, request)

    async def _answer(self, department: str) -> None:
        if self._latency:
            await asyncio.sleep(self._latency)
        if self._failure_rate and random.random() < self._failure_rate:
            raise DepartmentUnavailable(f"{department} did not answer")

    def _revoke_once(self, request: CompensationRequest) -> CompensationResult:
        with Session(self._engine) as session:
            issue = self._find(session, request)
            if issue is not None and issue.revoked_at is None:
                issue.revoked_at = datetime.now(UTC)
                issue.revoke_reason = request.reason[:500]
                session.add(issue)
                session.commit()
            return CompensationResult(
                item=request.item,
                revoked=issue is not None,
                revoked_at=issue.revoked_at if issue else None,
            )

    def _issue_once(self, request: ItemRequest, asked: datetime) -> ItemResult:
        """Issue, unless this (case, item) was issued before: then answer that first issue,
        or the time it will be issued if that is still to come (drawn at the first request)."""
        key = {"case_id": request.case_id, "item": request.item}
        issued = None
        if self._ready:  # look first, so that the time is drawn once (without `ready` the
            # insert alone finds an earlier issue: one statement). A read of its own: under
            # SQLite's WAL a transaction that has read may not write once another has.
            with self._engine.connect() as connection:
                issued = connection.execute(EARLIER, key).first()
        if issued is None:
            issue = {
                **key,
                "department": request.department,
                "outputs": {o.code: make_output(request, o) for o in request.outputs},
                "issued_at": datetime.now(UTC),
                "ready_at": self._ready(request, asked) if self._ready else None,
            }
            with self._engine.begin() as connection:
                issued = (
                    connection.execute(_issue_statement(connection), issue).first()
                    or connection.execute(EARLIER, key).one()  # an earlier attempt issued it
                )
        ready = issued.ready_at
        if ready is not None and asked < ready:
            return ItemResult(item=request.item, outputs={}, issued_at=ready, ready_at=ready)
        return ItemResult(
            item=request.item, outputs=issued.outputs, issued_at=ready or issued.issued_at
        )

    @staticmethod
    def _find(
        session: Session, request: ItemRequest | CompensationRequest
    ) -> SimulatedIssue | None:
        return session.exec(
            select(SimulatedIssue).where(
                SimulatedIssue.case_id == request.case_id, SimulatedIssue.item == request.item
            )
        ).first()


def _digits(request: ItemRequest, output: str, count: int) -> str:
    seed = hashlib.sha256(f"{request.case_id}/{request.item}/{output}".encode()).hexdigest()
    return str(int(seed, 16))[-count:].zfill(count)


def make_output(request: ItemRequest, output: OutputDef) -> str:
    """A deterministic output value for (case, item, output)."""
    if output.format is OutputFormat.resident_id:
        return _resident_id(request, output)
    return f"{output.prefix}{_digits(request, output.code, 10)}"


def _resident_id(request: ItemRequest, output: OutputDef) -> str:
    try:
        division = str(request.fields[output.derive_from["division"]])
        birth = date.fromisoformat(str(request.fields[output.derive_from["birth_date"]]))
        sex = request.fields[output.derive_from["sex"]]
    except KeyError as missing:
        raise ApplicationError(
            f"resident ID output needs field {missing}", type="InvalidRequest", non_retryable=True
        ) from None
    sequence = int(_digits(request, output.code, 3)) // 2 * 2  # even: female
    sequence = sequence + 1 if sex == "male" else sequence
    body = f"{division}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")
