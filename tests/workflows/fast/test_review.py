"""The review of an item by its department: claim and decide updates, their validators, and
what the read model is told (fast: fakes, no database)."""

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.statuses import CaseStatus, EventKind, ItemStatus
from tests.workflows.fast.harness import POLICE, REVIEWED, FastCase, fast_case
from workflows.models import Actor, ClaimInput, DecideInput, Decision
from workflows.scenario import ScenarioWorkflow


async def refused(case: FastCase, update: ClaimInput | DecideInput) -> str:
    """The type of the refusal of an update the validator turns away."""
    method = ScenarioWorkflow.claim if isinstance(update, ClaimInput) else ScenarioWorkflow.decide
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await case.handle.execute_update(method, update)  # type: ignore[arg-type]
    return failed.value.cause.type  # type: ignore[union-attr]


def decision(clerk: str = "clerk-a", **changes: object) -> DecideInput:
    values = {"item": REVIEWED, "decision": Decision.approve, "clerk": clerk, "department": POLICE}
    return DecideInput.model_validate({**values, **changes})


async def test_claims_one_holder_at_a_time_a_supervisor_reassigns(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with fast_case(time_skipping_env) as case:
        opened = await case.opened()
        assert opened.status is ItemStatus.awaiting_review and opened.holder is None
        await case.claim("clerk-a")
        assert await refused(
            case, ClaimInput(item=REVIEWED, clerk="clerk-b", department=POLICE)
        ) == ("TaskHeld")
        assert await refused(case, decision("clerk-b")) == "TaskNotHeld"
        assert (
            await refused(
                case,
                ClaimInput(item=REVIEWED, clerk="clerk-a", department=POLICE, assignee="clerk-b"),
            )
            == "NotSupervisor"
        )
        await case.claim("clerk-a")  # claiming again what one holds is harmless
        await case.claim("supervisor", supervisor=True, assignee="clerk-b")
        progress = await case.handle.query(ScenarioWorkflow.progress)
        assert progress.items[REVIEWED].holder == "clerk-b"
        await case.decide("clerk-b", Decision.approve)
        result = await case.handle.result()

    assert result.status is CaseStatus.completed
    events = [(r.event, r.actor, r.holder) for r in case.calls.events(REVIEWED)]
    assert events == [
        (EventKind.task_opened, None, None),
        (EventKind.claimed, "clerk-a", "clerk-a"),
        (EventKind.claimed, "clerk-a", "clerk-a"),
        (EventKind.claimed, "supervisor", "clerk-b"),
        (EventKind.approved, "clerk-b", "clerk-b"),
        # written by the department activity: the holder stays as the approval wrote it
        (EventKind.done, None, None),
    ]


async def test_the_validators_refuse_bad_decisions_before_they_reach_the_state(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with fast_case(time_skipping_env) as case:
        await case.opened()
        assert await refused(case, decision(department="tax")) == "WrongDepartment"
        assert await refused(case, decision(department="", clerk="nobody")) == "WrongDepartment"
        assert await refused(case, decision()) == "TaskNotHeld"
        await case.claim("clerk-a")
        impostor = Actor(user_id=7, username="clerk-b", role="clerk", department=POLICE)
        assert await refused(case, decision(actor=impostor)) == "ActorMismatch"
        reject = {"decision": Decision.reject, "reason_code": "materials_inconsistent"}
        assert await refused(case, decision(**reject)) == "ReasonRequired"
        assert await refused(case, decision(**reject, reason="  ")) == "ReasonRequired"
        assert await refused(case, decision(**{**reject, "reason_code": "whim"}, reason="x")) == (
            "ReasonRequired"
        )
        supplement = {"decision": Decision.supplement}
        assert await refused(case, decision(**supplement)) == "SupplementInvalid"
        assert (
            await refused(
                case, decision(**supplement, supplement={"fields": ["no_such_field"], "note": "?"})
            )
            == "SupplementInvalid"
        )
        assert await refused(case, decision(item="birth_medical_certificate")) == "NotReviewed"
        assert await refused(case, decision(item="no_such_item")) == "NotReviewed"
        progress = await case.handle.query(ScenarioWorkflow.progress)
        assert progress.items[REVIEWED].status is ItemStatus.awaiting_review

        actor = Actor(user_id=8, username="clerk-a", role="clerk", department=POLICE)
        await case.handle.execute_update(ScenarioWorkflow.decide, decision(actor=actor))
        assert await refused(case, decision()) == "TaskClosed"
        assert await refused(case, decision(**reject, reason="changed my mind")) == "TaskClosed"
        result = await case.handle.result()

    assert result.status is CaseStatus.completed
    assert [r.event for r in case.calls.events(REVIEWED)] == [
        EventKind.task_opened,
        EventKind.claimed,
        EventKind.approved,
        EventKind.done,
    ]
