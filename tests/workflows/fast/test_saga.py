"""Rejection, compensation in reverse order (saga) and withdrawal (fast: fakes, no
database)."""

import asyncio

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from catalog.models import OnReject
from domain.statuses import CaseStatus, EventKind, ItemStatus
from tests.helpers import wait_until
from tests.workflows.fast.harness import REVIEWED, FastCase, fast_case
from workflows.models import Decision
from workflows.scenario import ScenarioWorkflow

# Compensable items that do not wait for the reviewed one.
BEFORE_REVIEW = (
    "childbirth_registration",
    "maternity_medical_reimbursement",
    "maternity_allowance",
)


async def assert_undone_last_first(case: FastCase, undone: list[str], reason: str | None) -> None:
    done = await case.compensable_done()
    assert set(done) <= set(case.calls.answered)  # each one issued by its department
    assert undone == list(reversed(done)) and set(BEFORE_REVIEW) <= set(done)
    assert [(name, r.item) for name, r in case.calls.revoked] == [
        (case.input.spec.item(code).compensation, code) for code in undone
    ]
    for _, request in case.calls.revoked:
        assert request.reason == reason
        assert request.outputs == {
            o.code: f"{request.item}/{o.code}" for o in case.input.spec.item(request.item).outputs
        }
    for code in undone:
        assert case.calls.status(code) is ItemStatus.compensated
        assert case.calls.events(code, EventKind.compensated)[0].reason == reason


async def test_a_rejection_stops_the_case_and_undoes_done_items_last_first(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with fast_case(time_skipping_env) as case:
        await case.opened()
        await case.done(*BEFORE_REVIEW)
        await case.claim("clerk-a")
        await case.decide(
            "clerk-a", Decision.reject, reason_code="materials_inconsistent", reason="材料不符"
        )
        result = await case.handle.result()

    assert result.status is CaseStatus.rejected
    assert result.reason is not None and "材料不符" in result.reason
    await assert_undone_last_first(case, result.undone, result.reason)
    [rejected] = case.calls.events(REVIEWED, EventKind.rejected)
    assert (rejected.status, rejected.actor, rejected.reason_code) == (
        ItemStatus.rejected,
        "clerk-a",
        "materials_inconsistent",
    )
    needing = [i.code for i in case.input.spec.items if REVIEWED in i.requires]
    assert needing and all(case.calls.status(c) is ItemStatus.cancelled for c in needing)
    assert not any(case.calls.requests(c) for c in needing)  # never asked
    assert "citizen_id" not in result.outputs
    final = case.calls.cases[-1]
    assert (final.status, final.undone, final.items[REVIEWED]) == (
        CaseStatus.rejected,
        result.undone,
        ItemStatus.rejected,
    )


async def test_a_rejection_that_does_not_stop_the_case_cancels_only_what_needs_it(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    changes = {REVIEWED: {"on_reject": OnReject.continue_}}
    async with fast_case(time_skipping_env, changes=changes) as case:
        await case.opened()
        await case.claim("clerk-a")
        await case.decide("clerk-a", Decision.reject, reason_code="duplicate", reason="重复申请")
        result = await case.handle.result()

    assert result.status is CaseStatus.partially_completed
    assert result.undone == [] and case.calls.revoked == []
    items = case.calls.cases[-1].items
    for item in case.input.spec.items:
        expected = ItemStatus.done
        if item.code == REVIEWED:
            expected = ItemStatus.rejected
        elif REVIEWED in item.requires:
            expected = ItemStatus.cancelled
        assert items[item.code] is expected is case.calls.status(item.code), item.code


async def test_withdrawal_undoes_done_items_and_closes_the_case(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with fast_case(time_skipping_env) as case:
        await case.opened()
        await case.done(*BEFORE_REVIEW)
        await case.withdraw("改为线下办理")
        result = await case.handle.result()
        with pytest.raises(RPCError):  # closed: there is nothing left to withdraw
            await case.withdraw("again")

    assert result.status is CaseStatus.withdrawn
    assert result.reason is not None and "改为线下办理" in result.reason
    await assert_undone_last_first(case, result.undone, result.reason)
    assert case.calls.status(REVIEWED) is ItemStatus.cancelled
    assert case.calls.cases[-1].status is CaseStatus.withdrawn


async def test_a_withdrawal_after_the_case_stopped_is_refused(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Withdrawing while the saga of a rejection runs: the case is closed to it."""
    compensating = asyncio.Event()
    async with fast_case(time_skipping_env, hold=compensating) as case:
        await case.opened()
        await case.done(*BEFORE_REVIEW)
        await case.claim("clerk-a")
        await case.decide("clerk-a", Decision.reject, reason_code="not_eligible", reason="不符")
        await wait_until(lambda: case.calls.revoked, what="compensation under way")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await case.withdraw()
        assert refused.value.cause.type == "CaseClosed"  # type: ignore[union-attr]
        progress = await case.handle.query(ScenarioWorkflow.progress)
        assert progress.status is CaseStatus.rejected  # stopped, compensating
        compensating.set()
        result = await case.handle.result()
    assert result.status is CaseStatus.rejected and result.undone
