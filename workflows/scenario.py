"""ScenarioWorkflow: the generic runner of one case over its scenario's item graph."""

import asyncio
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from catalog.models import OnReject, ResolvedItem, ReviewMode
    from domain.records import CaseRecord, ItemRecord
    from domain.statuses import CaseStatus, EventKind, ItemStatus
    from domain.text import Text
    from workflows.activity_names import RECORD_CASE, RECORD_ITEM, RECORD_ITEMS
    from workflows.models import (
        CaseProgress,
        ClaimInput,
        ClaimResult,
        CompensationRequest,
        CompensationResult,
        DecideInput,
        DecideResult,
        Decision,
        ItemProgress,
        ItemRequest,
        ItemResult,
        ScenarioInput,
        ScenarioResult,
        SupplementInput,
        WithdrawInput,
    )
    from workflows.review import Review
    from workflows.search_attributes import DEPARTMENTS, OUTCOME, SCENARIO, departments_of

# A department system may be slow or down for a while: retry with backoff for up to a day.
DEPARTMENT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
    non_retryable_error_types=["InvalidRequest"],
)
DEPARTMENT_CALL_TIMEOUT = timedelta(minutes=2)
DEPARTMENT_TOTAL_TIMEOUT = timedelta(days=1)
# Department activities heartbeat every 5 s while a call waits (activities/department.py):
# a worker that died mid-call is retried after this, not after the 2-minute call timeout.
DEPARTMENT_HEARTBEAT_TIMEOUT = timedelta(seconds=20)
# A department that answered "ready at" a time already passed is asked again after this.
READY_AGAIN = timedelta(minutes=1)
READ_MODEL_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=0)
READ_MODEL_TIMEOUT = timedelta(seconds=30)
# Patch id: item transitions written in batches (`record_items`) instead of one by one.
READ_MODEL_BATCHES = "read-model-batches"
# Patch id: the case's search attributes (workflows/search_attributes.py) are set.
CASE_SEARCH_ATTRIBUTES = "search-attributes"
R = TypeVar("R")
UNFINISHED = (
    ItemStatus.pending,
    ItemStatus.awaiting_review,
    ItemStatus.awaiting_supplement,
    ItemStatus.running,
)


def _refuse(zh: str, en: str, kind: str) -> ApplicationError:
    """A refused update: its message in English, both languages as a `Text` in its details
    (the case service hands that to the edge, which picks the reader's language)."""
    return ApplicationError(en, Text(zh=zh, en=en), type=kind, non_retryable=True)


def _check_actor(input: ClaimInput | DecideInput) -> None:
    """The clerk and department an update names must be those of the actor the API
    authenticated (sealed with the update); updates recorded without an actor predate it."""
    actor = input.actor
    if actor is not None and (actor.username, actor.department or "") != (
        input.clerk,
        input.department,
    ):
        raise _refuse(
            "操作人与登录用户不符", "the clerk named is not the signed-in user", "ActorMismatch"
        )


@workflow.defn
class ScenarioWorkflow:
    """Runs every item of a scenario version as soon as the items it depends on are done.

    Automatic items run as activities on their department's task queue; reviewed items
    first wait for their department (`claim`, then `decide`: approve, reject or ask the
    applicant for a supplement, answered by `supplement`). Outputs of done items flow into
    the items that use them. A rejection stops the case or only the items that need the
    rejected one, as the scenario says; a stop or a `withdraw` undoes done items that have a
    compensating activity, in reverse order of completion (saga).
    """

    @workflow.init
    def __init__(self, input: ScenarioInput) -> None:
        self._input = input
        self._form = dict(input.form)
        self._supplied: dict[str, list[str]] = {}  # item -> document ids of its supplements
        self._items = {item.code: item for item in input.spec.items}
        self._status = dict.fromkeys(self._items, ItemStatus.pending)
        self._reviews = {
            item.code: Review(
                input.case_id, item, input.calendar, input.review, self._record_item, self._status
            )
            for item in input.spec.items
            if item.mode is ReviewMode.reviewed
        }
        self._outputs: dict[str, str] = {}
        self._done_order: list[str] = []
        self._undone: list[str] = []
        self._stop_reason: str | None = None
        self._case_status = CaseStatus.running
        # Read-model writes: transitions queued, queued in all, written in all, one under way.
        self._unwritten: list[ItemRecord] = []
        self._queued = self._written = 0
        self._writing = False
        # The start carried the search attributes (cases/submission.py) or, in older
        # histories, the first workflow task set them.
        self._indexed_at_start = workflow.info().typed_search_attributes.get(SCENARIO) is not None

    @workflow.run
    async def run(self, input: ScenarioInput) -> ScenarioResult:
        if not self._indexed_at_start:
            departments = departments_of(input.spec)
            self._index(SCENARIO.value_set(input.spec.code), DEPARTMENTS.value_set(departments))
        await self._record_case()
        await asyncio.gather(*(self._run_item(item) for item in self._items.values()))
        if self._stopped:
            await self._compensate()
        elif any(s is ItemStatus.rejected for s in self._status.values()):
            self._case_status = CaseStatus.partially_completed
        else:
            self._case_status = CaseStatus.completed
        # An update may still be returning to its caller.
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._index()
        await self._record_case()
        return ScenarioResult(
            case_id=input.case_id,
            status=self._case_status,
            reason=self._stop_reason,
            outputs=self._outputs,
            undone=self._undone,
        )

    # -- queries and updates -------------------------------------------------------------
    @workflow.query
    def progress(self) -> CaseProgress:
        now = workflow.now()
        items = {
            code: self._reviews[code].progress(now)
            if code in self._reviews
            else ItemProgress(status=status)
            for code, status in self._status.items()
        }
        return CaseProgress(
            status=self._case_status, items=items, outputs=self._outputs, reason=self._stop_reason
        )

    @workflow.update
    async def claim(self, input: ClaimInput) -> ClaimResult:
        """A clerk takes the task (one holder at a time); a supervisor may reassign it."""
        review = self._reviews[input.item]
        if review.holder not in (None, input.clerk) and not input.supervisor:
            # Two claims accepted in the same workflow task: the first one won.
            raise _refuse(
                f"该任务已由 {review.holder} 领取", f"{review.holder} holds this task", "TaskHeld"
            )
        review.holder = input.assignee or input.clerk
        await self._record_item(review.snapshot(EventKind.claimed, actor=input.clerk))
        return ClaimResult(item=input.item, holder=review.holder)

    @claim.validator
    def validate_claim(self, input: ClaimInput) -> None:
        _check_actor(input)
        review = self._open_review(input.item, input.department)
        if input.assignee and not input.supervisor:
            raise _refuse(
                "只有科室负责人可以分派任务", "only a supervisor may assign a task", "NotSupervisor"
            )
        if review.holder not in (None, input.clerk) and not input.supervisor:
            raise _refuse(
                f"该任务已由 {review.holder} 领取", f"{review.holder} holds this task", "TaskHeld"
            )

    @workflow.update
    async def decide(self, input: DecideInput) -> DecideResult:
        """The holder approves, rejects (reason from the list) or asks for a supplement."""
        review = self._reviews[input.item]
        if review.decision is not None:  # another decision was accepted in the same task
            raise _refuse("该任务已有决定", "the task was decided already", "TaskClosed")
        review.decision = input
        return DecideResult(item=input.item, decision=input.decision, decided_at=workflow.now())

    @decide.validator
    def validate_decide(self, input: DecideInput) -> None:
        _check_actor(input)
        review = self._open_review(input.item, input.department)
        if review.holder != input.clerk:
            raise _refuse("请先领取该任务", "claim the task before deciding it", "TaskNotHeld")
        if input.decision is Decision.reject and (
            input.reason_code not in self._input.review.reject_reasons
            or not (input.reason or "").strip()
        ):
            codes = ", ".join(self._input.review.reject_reasons)
            raise _refuse(
                f"驳回须选择理由（{codes}）并填写说明",
                f"a rejection needs a reason code ({codes}) and an explanation",
                "ReasonRequired",
            )
        if input.decision is Decision.supplement:
            request = input.supplement
            known = set(self._items[input.item].fields)
            materials = set(self._items[input.item].materials)
            if (
                request is None
                or not (request.fields or request.materials)
                or (set(request.fields) - known or set(request.materials) - materials)
            ):
                raise _refuse(
                    "补正须指明本事项的字段或材料及问题",
                    "a supplement request names this item's fields or materials and what is wrong",
                    "SupplementInvalid",
                )

    @workflow.update
    async def supplement(self, input: SupplementInput) -> None:
        """The applicant answers a supplement request with exactly what was asked."""
        self._form.update(input.fields)
        supplied = self._supplied.setdefault(input.item, [])
        supplied += [d for ids in input.documents.values() for d in ids]
        self._reviews[input.item].answer = input

    @supplement.validator
    def validate_supplement(self, input: SupplementInput) -> None:
        review = self._reviews.get(input.item)
        if (
            review is None
            or review.status is not ItemStatus.awaiting_supplement
            or (review.request is None)
        ):
            raise _refuse(
                "该事项没有待补正的内容",
                "nothing is waiting for a supplement here",
                "NoSupplementAsked",
            )
        asked_fields, asked_materials = set(review.request.fields), set(review.request.materials)
        if set(input.fields) != asked_fields or set(input.materials) != asked_materials:
            raise _refuse(
                f"请补正且仅补正：{sorted(asked_fields | asked_materials)}",
                f"supplement exactly what was asked: {sorted(asked_fields | asked_materials)}",
                "SupplementMismatch",
            )

    @workflow.update
    async def withdraw(self, input: WithdrawInput) -> None:
        """The applicant withdraws the case; done items are compensated."""
        self._stop(CaseStatus.withdrawn, f"申请人撤回 / withdrawn by the applicant: {input.reason}")

    @withdraw.validator
    def validate_withdraw(self, input: WithdrawInput) -> None:
        if self._stopped or self._case_status is not CaseStatus.running:
            raise _refuse(
                "办件已结束，不能撤回", "the case is closed; it cannot be withdrawn", "CaseClosed"
            )

    def _open_review(self, code: str, department: str) -> Review:
        review = self._reviews.get(code)
        if review is None:
            raise _refuse(
                f"事项 {code} 不是本办件的审核事项",
                f"{code} is not a reviewed item of this case",
                "NotReviewed",
            )
        item = review.item
        if department != item.department:
            raise _refuse(
                f"该事项由{item.department_name.zh}审核，"
                f"{department or '无部门'}的工作人员无权处理",
                f"{code} is reviewed by {item.department}; a clerk of "
                f"{department or 'no department'} may not act on it",
                "WrongDepartment",
            )
        if review.status is not ItemStatus.awaiting_review or review.decision is not None:
            raise _refuse(
                f"该审核任务未处于待审状态（{review.status.value}）",
                f"the task is not open for review (item status: {review.status.value})",
                "TaskClosed",
            )
        return review

    # -- items ------------------------------------------------------------------------------
    async def _run_item(self, item: ResolvedItem) -> None:
        await workflow.wait_condition(
            lambda: self._stopped or all(self._status[r] not in UNFINISHED for r in item.requires)
        )
        if self._stopped or any(self._status[r] is not ItemStatus.done for r in item.requires):
            await self._finish(item, ItemStatus.cancelled, EventKind.cancelled)
            return
        review = self._reviews.get(item.code)
        if review is not None and not await self._review(item, review):
            return
        self._status[item.code] = ItemStatus.running
        try:
            result = await self._perform(item)
            while result.ready_at is not None:  # accepted; the department issues later
                await workflow.sleep(max(result.ready_at - workflow.now(), READY_AGAIN))
                result = await self._perform(item)
        except ActivityError as err:
            reason = f"{item.name.zh} 办理失败 / {item.name.en} failed: {err.cause or err}"
            await self._finish(item, ItemStatus.failed, EventKind.failed, reason=reason)
            self._stop(CaseStatus.failed, reason)
            return
        self._outputs.update(result.outputs)
        self._done_order.append(item.code)
        if result.recorded:  # the department activity wrote it done (activities/department.py)
            self._status[item.code] = ItemStatus.done
            return
        await self._finish(item, ItemStatus.done, EventKind.done, outputs=result.outputs)

    async def _perform(self, item: ResolvedItem) -> ItemResult:
        """Ask the item's department to perform it (idempotent by case and item)."""
        return await self._call_department(item, item.activity, self._request(item), ItemResult)

    @staticmethod
    async def _call_department(
        item: ResolvedItem, activity: str, argument: object, result_type: type[R]
    ) -> R:
        """One of the item's department activities, on its queue, under the department
        timeouts and retries."""
        return await workflow.execute_activity(
            activity,
            argument,
            task_queue=item.task_queue,
            result_type=result_type,
            start_to_close_timeout=DEPARTMENT_CALL_TIMEOUT,
            schedule_to_close_timeout=DEPARTMENT_TOTAL_TIMEOUT,
            heartbeat_timeout=DEPARTMENT_HEARTBEAT_TIMEOUT,
            retry_policy=DEPARTMENT_RETRY,
        )

    async def _review(self, item: ResolvedItem, review: Review) -> bool:
        """Wait for the department's decision; True when approved."""
        decision = await review.run(lambda: self._stopped)
        if decision is None:
            if review.status is ItemStatus.rejected:  # the supplement deadline passed
                self._stop(
                    CaseStatus.not_supplemented,
                    f"{item.name.zh} 逾期未补正 / {item.name.en}: not supplemented in time",
                )
            elif review.status is ItemStatus.cancelled:
                await self._record_item(review.snapshot(EventKind.cancelled))
            return False
        if decision.decision is Decision.reject:
            review.status = ItemStatus.rejected
            await self._record_item(
                review.snapshot(
                    EventKind.rejected,
                    actor=decision.clerk,
                    reason=decision.reason,
                    reason_code=decision.reason_code,
                )
            )
            if item.on_reject is OnReject.stop:
                self._stop(
                    CaseStatus.rejected,
                    f"{item.name.zh} 被驳回 / {item.name.en} rejected: {decision.reason}",
                )
            return False
        review.status = ItemStatus.running
        await self._record_item(review.snapshot(EventKind.approved, actor=decision.clerk))
        return True

    def _request(self, item: ResolvedItem) -> ItemRequest:
        review = self._reviews.get(item.code)
        return ItemRequest(
            case_id=self._input.case_id,
            scenario=self._input.spec.code,
            item=item.code,
            department=item.department,
            fields={f: self._form[f] for f in item.fields if f in self._form},
            upstream={o: self._outputs[o] for o in item.uses_outputs},
            outputs=item.outputs,
            review=review.decision.data if review and review.decision else {},
            documents=list(
                dict.fromkeys(
                    [d for m in item.materials for d in self._input.documents.get(m, [])]
                    + self._supplied.get(item.code, [])
                )
            ),
        )

    async def _compensate(self) -> None:
        """Undo done items that have a compensating activity, last done first (saga)."""
        for code in reversed(self._done_order):
            item = self._items[code]
            if item.compensation is None:
                continue
            await self._call_department(
                item,
                item.compensation,
                CompensationRequest(
                    case_id=self._input.case_id,
                    item=code,
                    department=item.department,
                    outputs={o.code: self._outputs.get(o.code, "") for o in item.outputs},
                    reason=self._stop_reason or "",
                ),
                CompensationResult,
            )
            self._undone.append(code)
            await self._finish(
                item, ItemStatus.compensated, EventKind.compensated, reason=self._stop_reason
            )

    # -- state and read model ----------------------------------------------------------------
    @property
    def _stopped(self) -> bool:
        return self._stop_reason is not None

    def _stop(self, status: CaseStatus, reason: str) -> None:
        if not self._stopped:
            self._case_status, self._stop_reason = status, reason

    async def _finish(
        self, item: ResolvedItem, status: ItemStatus, event: EventKind, **record: object
    ) -> None:
        self._status[item.code] = status
        review = self._reviews.get(item.code)
        if review is not None:
            await self._record_item(review.snapshot(event, **record))
            return
        await self._record_item(
            ItemRecord(
                case_id=self._input.case_id,
                item=item.code,
                event=event,
                status=status,
                at=workflow.now(),
                **record,  # type: ignore[arg-type]
            )
        )

    async def _record_item(self, record: ItemRecord) -> None:
        """Write a transition to the read model; returns once it is written.

        Transitions made while a write is under way, or in the same workflow task, go
        together in the next write: one local activity and one transaction for several.
        """
        if not workflow.patched(READ_MODEL_BATCHES):
            await workflow.execute_local_activity(
                RECORD_ITEM,
                record,
                result_type=type(None),
                start_to_close_timeout=READ_MODEL_TIMEOUT,
                retry_policy=READ_MODEL_RETRY,
            )
            return
        self._unwritten.append(record)
        self._queued += 1
        ticket = self._queued
        if self._writing:
            await workflow.wait_condition(lambda: self._written >= ticket)
            return
        self._writing = True
        try:
            await asyncio.sleep(0)  # the rest of this workflow task's transitions join in
            while self._unwritten:
                batch, self._unwritten = self._unwritten, []
                await workflow.execute_local_activity(
                    RECORD_ITEMS,
                    batch,
                    result_type=type(None),
                    start_to_close_timeout=READ_MODEL_TIMEOUT,
                    retry_policy=READ_MODEL_RETRY,
                )
                self._written += len(batch)
        finally:
            self._writing = False

    def _index(self, *updates: SearchAttributeUpdate) -> None:
        """Set the case's search attributes: `updates` and its outcome (the case status).
        A case whose start set them (`search_attributes.at_start`) needs no patch: its
        history tells it from older ones. Cases started before there were attributes set
        none (their histories have no such command)."""
        if self._indexed_at_start or workflow.patched(CASE_SEARCH_ATTRIBUTES):
            outcome = OUTCOME.value_set(self._case_status.value)
            workflow.upsert_search_attributes([*updates, outcome])

    async def _record_case(self) -> None:
        now = workflow.now()
        reviews = self._reviews.values()
        await workflow.execute_local_activity(
            RECORD_CASE,
            CaseRecord(
                case_id=self._input.case_id,
                status=self._case_status,
                at=now,
                reason=self._stop_reason,
                items=self._status,
                undone=self._undone,
                applicant_days=sum(r.applicant_days for r in reviews),
                department_days=sum(r.department_days(now) for r in reviews),
                breaches=sum(r.breached for r in reviews),
            ),
            result_type=type(None),
            start_to_close_timeout=READ_MODEL_TIMEOUT,
            retry_policy=READ_MODEL_RETRY,
        )
