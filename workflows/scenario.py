"""ScenarioWorkflow: the generic runner of one case over its scenario's item graph."""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.models import (
        CaseRecord,
        CaseStatus,
        ItemRecord,
        ItemRequest,
        ItemResult,
        ItemStatus,
    )
    from activities.read_model import ReadModelActivities
    from catalog.models import ResolvedItem, ReviewMode
    from workflows.models import (
        CaseProgress,
        DecideInput,
        DecideResult,
        Decision,
        ScenarioInput,
        ScenarioResult,
    )

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
READ_MODEL_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=0)
READ_MODEL_TIMEOUT = timedelta(seconds=30)


@workflow.defn
class ScenarioWorkflow:
    """Runs every item of a scenario version as soon as the items it depends on are done.

    Automatic items run as activities on their department's task queue; reviewed items wait
    for a clerk's `decide` update first. Outputs of done items flow into the items that use
    them. A rejection or a failed item stops the case: items not started are cancelled.
    """

    @workflow.init
    def __init__(self, input: ScenarioInput) -> None:
        self._input = input
        self._items = {item.code: item for item in input.spec.items}
        self._status = dict.fromkeys(self._items, ItemStatus.pending)
        self._outputs: dict[str, str] = {}
        self._decisions: dict[str, DecideInput] = {}
        self._stop_reason: str | None = None
        self._case_status = CaseStatus.running

    @workflow.run
    async def run(self, input: ScenarioInput) -> ScenarioResult:
        await self._record_case()
        await asyncio.gather(*(self._run_item(item) for item in self._items.values()))
        # A decision update may still be returning to its caller.
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._stop_reason is None:
            self._case_status = CaseStatus.completed
        await self._record_case()
        return ScenarioResult(
            case_id=input.case_id,
            status=self._case_status,
            reason=self._stop_reason,
            outputs=self._outputs,
        )

    @workflow.query
    def progress(self) -> CaseProgress:
        return CaseProgress(
            status=self._case_status,
            items=self._status,
            outputs=self._outputs,
            reason=self._stop_reason,
        )

    @workflow.update
    async def decide(self, input: DecideInput) -> DecideResult:
        """A clerk approves or rejects a reviewed item that is waiting for review."""
        self._decisions[input.item] = input
        return DecideResult(item=input.item, decision=input.decision, decided_at=workflow.now())

    @decide.validator
    def validate_decide(self, input: DecideInput) -> None:
        item = self._items.get(input.item)
        if item is None or item.mode is not ReviewMode.reviewed:
            raise ApplicationError(
                f"事项 {input.item} 不是本办件的审核事项 / "
                f"{input.item} is not a reviewed item of this case",
                type="NotReviewed",
            )
        if input.department != item.department:
            raise ApplicationError(
                f"该事项由{item.department_name.zh}审核，{input.department or '无部门'}的工作人员"
                f"无权决定 / {item.code} is reviewed by {item.department}; a clerk of "
                f"{input.department or 'no department'} may not decide it",
                type="WrongDepartment",
            )
        status = self._status[item.code]
        if status is not ItemStatus.awaiting_review or item.code in self._decisions:
            raise ApplicationError(
                f"该审核任务已关闭（事项状态：{status.value}） / "
                f"the task is closed (item status: {status.value})",
                type="TaskClosed",
            )
        if input.decision is Decision.reject and not (input.reason or "").strip():
            raise ApplicationError(
                "驳回必须填写理由 / a rejection needs a reason", type="ReasonRequired"
            )

    async def _run_item(self, item: ResolvedItem) -> None:
        await workflow.wait_condition(
            lambda: self._stopped or all(self._status[r] is ItemStatus.done for r in item.requires)
        )
        if self._stopped:
            self._status[item.code] = ItemStatus.cancelled
            return
        if item.mode is ReviewMode.reviewed and not await self._review(item):
            return
        self._status[item.code] = ItemStatus.running
        try:
            result = await workflow.execute_activity(
                item.activity,
                self._request(item),
                task_queue=item.task_queue,
                result_type=ItemResult,
                start_to_close_timeout=DEPARTMENT_CALL_TIMEOUT,
                schedule_to_close_timeout=DEPARTMENT_TOTAL_TIMEOUT,
                retry_policy=DEPARTMENT_RETRY,
            )
        except ActivityError as err:
            reason = f"{item.name.zh} 办理失败 / {item.name.en} failed: {err.cause or err}"
            await self._finish_item(item, ItemStatus.failed, reason=reason)
            self._stop(CaseStatus.failed, reason)
            return
        self._outputs.update(result.outputs)
        await self._finish_item(item, ItemStatus.done, outputs=result.outputs)

    async def _review(self, item: ResolvedItem) -> bool:
        """Open the department's task and wait for the decision; True if approved."""
        self._status[item.code] = ItemStatus.awaiting_review
        await self._record_item(
            ItemRecord(
                case_id=self._input.case_id,
                item=item.code,
                status=ItemStatus.awaiting_review,
                at=workflow.now(),
            )
        )
        await workflow.wait_condition(lambda: item.code in self._decisions or self._stopped)
        decision = self._decisions.get(item.code)
        if decision is None:
            self._status[item.code] = ItemStatus.cancelled
            return False
        if decision.decision is Decision.reject:
            reason = f"{item.name.zh} 被驳回 / {item.name.en} rejected: {decision.reason}"
            await self._finish_item(
                item, ItemStatus.rejected, reason=decision.reason, decided_by=decision.clerk
            )
            self._stop(CaseStatus.rejected, reason)
            return False
        await self._record_item(
            ItemRecord(
                case_id=self._input.case_id,
                item=item.code,
                status=ItemStatus.running,
                at=workflow.now(),
                decided_by=decision.clerk,
                reason=decision.reason,
            )
        )
        return True

    def _request(self, item: ResolvedItem) -> ItemRequest:
        return ItemRequest(
            case_id=self._input.case_id,
            scenario=self._input.spec.code,
            item=item.code,
            department=item.department,
            fields={f: self._input.form[f] for f in item.fields if f in self._input.form},
            upstream={o: self._outputs[o] for o in item.uses_outputs},
            outputs=item.outputs,
        )

    @property
    def _stopped(self) -> bool:
        return self._stop_reason is not None

    def _stop(self, status: CaseStatus, reason: str) -> None:
        if not self._stopped:
            self._case_status, self._stop_reason = status, reason

    async def _finish_item(self, item: ResolvedItem, status: ItemStatus, **record: object) -> None:
        self._status[item.code] = status
        await self._record_item(
            ItemRecord(
                case_id=self._input.case_id,
                item=item.code,
                status=status,
                at=workflow.now(),
                **record,  # type: ignore[arg-type]
            )
        )

    async def _record_item(self, record: ItemRecord) -> None:
        await workflow.execute_local_activity_method(
            ReadModelActivities.record_item,
            record,
            start_to_close_timeout=READ_MODEL_TIMEOUT,
            retry_policy=READ_MODEL_RETRY,
        )

    async def _record_case(self) -> None:
        await workflow.execute_local_activity_method(
            ReadModelActivities.record_case,
            CaseRecord(
                case_id=self._input.case_id,
                status=self._case_status,
                at=workflow.now(),
                reason=self._stop_reason,
                items=self._status,
            ),
            start_to_close_timeout=READ_MODEL_TIMEOUT,
            retry_policy=READ_MODEL_RETRY,
        )
