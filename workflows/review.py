"""One reviewed item (承诺件) inside a scenario workflow: task, holder, SLA clock, supplements.

The SLA clock counts department time in working days on the case's calendar. It stops while
the case waits for the applicant's supplement (补正) and resumes when it arrives, so
applicant time and department time are kept apart. Timers are durable workflow timers.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from catalog.calendar import WorkCalendar
    from catalog.models import ResolvedItem, ReviewPolicy
    from domain.records import ItemRecord
    from domain.statuses import EventKind, ItemStatus
    from workflows.models import (
        DecideInput,
        ItemProgress,
        SupplementInput,
        SupplementRequest,
    )


class Review:
    """State and waiting logic of one reviewed item; the workflow owns one per such item."""

    def __init__(
        self,
        case_id: str,
        item: ResolvedItem,
        calendar: WorkCalendar,
        policy: ReviewPolicy,
        record: Callable[[ItemRecord], Awaitable[None]],
        statuses: dict[str, ItemStatus],
    ):
        self.case_id = case_id
        self.item = item
        self.calendar = calendar
        self.policy = policy
        self._record = record
        self._statuses = statuses
        self.status = ItemStatus.pending
        self.holder: str | None = None
        self.opened_at: datetime | None = None
        self.due_at: datetime | None = None
        self.decision: DecideInput | None = None
        self.request: SupplementRequest | None = None
        self.answer: SupplementInput | None = None
        self.waiting_since: datetime | None = None
        self.applicant_days = 0.0
        self.breached = False
        self.closed = False
        self.closed_at: datetime | None = None

    @property
    def status(self) -> ItemStatus:
        """The item's status, kept in the workflow's table of every item's status."""
        return self._statuses[self.item.code]

    @status.setter
    def status(self, status: ItemStatus) -> None:
        self._statuses[self.item.code] = status

    # -- figures -----------------------------------------------------------------------
    def department_days(self, now: datetime) -> float:
        """Working days the department has held the item, the applicant's time excluded."""
        if self.opened_at is None:
            return 0.0
        now = self.closed_at or now
        total = self.calendar.working_days_between(self.opened_at, now)
        waiting = (
            self.calendar.working_days_between(self.waiting_since, now)
            if (self.waiting_since)
            else 0.0
        )
        return total - self.applicant_days - waiting

    def progress(self, now: datetime) -> ItemProgress:
        return ItemProgress(
            status=self.status,
            holder=self.holder,
            due_at=self.due_at,
            department_days=round(self.department_days(now), 6),
            applicant_days=round(self.applicant_days, 6),
            breached=self.breached,
        )

    def snapshot(self, event: EventKind, **extra: object) -> ItemRecord:
        now = workflow.now()
        return ItemRecord(
            case_id=self.case_id,
            item=self.item.code,
            event=event,
            status=self.status,
            at=now,
            holder=self.holder,
            due_at=self.due_at,
            breached=self.breached,
            department_days=round(self.department_days(now), 6),
            applicant_days=round(self.applicant_days, 6),
            **extra,  # type: ignore[arg-type]
        )

    # -- the review ----------------------------------------------------------------------
    async def run(self, stopped: Callable[[], bool]) -> DecideInput | None:
        """Open the task and wait for a final decision (approve or reject).

        Returns None if the case stopped or the applicant let a supplement expire (then
        `self.status` tells which).
        """
        self.status = ItemStatus.awaiting_review
        self.opened_at = workflow.now()
        self.due_at = self.calendar.add_working_days(self.opened_at, self.item.promised_days)
        await self._record(self.snapshot(EventKind.task_opened))
        clock = asyncio.create_task(self._clock())
        # Not in a `finally`: when a worker evicts a waiting workflow, cleanup code runs
        # outside the workflow's event loop, where workflow.now() is not available.
        outcome = await self._final_decision(stopped)
        self.closed, self.closed_at = True, workflow.now()
        clock.cancel()
        return outcome

    async def _final_decision(self, stopped: Callable[[], bool]) -> DecideInput | None:
        while True:
            await workflow.wait_condition(lambda: self.decision is not None or stopped())
            if self.decision is None:
                self.status = ItemStatus.cancelled
                return None
            if self.decision.decision != "supplement":
                return self.decision
            if not await self._supplement(self.decision, stopped):
                return None

    async def _supplement(self, decision: DecideInput, stopped: Callable[[], bool]) -> bool:
        """Wait for the applicant's answer within the deadline; the SLA clock is stopped."""
        self.request = decision.supplement
        self.status = ItemStatus.awaiting_supplement
        self.waiting_since = workflow.now()
        deadline = self.calendar.add_working_days(self.waiting_since, self.policy.supplement_days)
        await self._record(
            self.snapshot(
                EventKind.supplement_requested,
                actor=decision.clerk,
                reason=decision.reason or (self.request.note if self.request else None),
                supplement={
                    **(self.request.model_dump() if self.request else {}),
                    "deadline": deadline.isoformat(),
                },
            )
        )
        try:
            await workflow.wait_condition(
                lambda: self.answer is not None or stopped(),
                timeout=max(deadline - workflow.now(), timedelta(seconds=1)),
            )
        except TimeoutError:
            self._stop_waiting()
            self.status = ItemStatus.rejected
            await self._record(
                self.snapshot(
                    EventKind.supplement_expired,
                    reason="逾期未补正 / the supplement was not provided in time",
                )
            )
            return False
        self._stop_waiting()
        if self.answer is None:
            self.status = ItemStatus.cancelled
            return False
        answer, self.answer, self.decision, self.request = self.answer, None, None, None
        self.status = ItemStatus.awaiting_review
        now = workflow.now()  # the clock resumes: the limit moves by the applicant's time
        self.due_at = self.calendar.add_working_days(
            now, self.item.promised_days - self.department_days(now)
        )
        await self._record(
            self.snapshot(
                EventKind.supplement_received,
                supplement=answer.model_dump(mode="json"),
            )
        )
        return True

    def _stop_waiting(self) -> None:
        assert self.waiting_since is not None
        self.applicant_days += self.calendar.working_days_between(
            self.waiting_since, workflow.now()
        )
        self.waiting_since = None

    async def _clock(self) -> None:
        """Reminder at the policy's share of the promised limit, escalation and breach at it."""
        limit = float(self.item.promised_days)
        for mark, event in (
            (limit * self.policy.reminder_share, EventKind.reminder),
            (limit, EventKind.escalation),
        ):
            while True:
                await workflow.wait_condition(
                    lambda: self.closed or self.status is not ItemStatus.awaiting_supplement
                )
                if self.closed:
                    return
                now = workflow.now()
                at = self.calendar.add_working_days(now, mark - self.department_days(now))
                try:
                    await workflow.wait_condition(
                        lambda: self.closed or self.status is ItemStatus.awaiting_supplement,
                        timeout=max(at - now, timedelta(seconds=1)),
                    )
                except TimeoutError:
                    if event is EventKind.escalation:
                        self.breached = True
                    await self._record(self.snapshot(event))
                    break
                if self.closed:
                    return
