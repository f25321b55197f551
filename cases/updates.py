"""Delivering a user's action to a case's workflow as a Temporal update.

The workflow's validators are the authority: their refusals (ApplicationError types) become
domain errors (cases/errors.py) with the bilingual message the validator wrote.

Every update has a deadline (TEMPORAL_UPDATE_TIMEOUT_S): it waits for a worker to run the
validator and the handler, and when none answers in time the caller gets `OutcomeUnknown`.
Temporal keeps an update it admitted and applies it once a worker polls again (seconds after
a restart). Repeating is safe: a claim by its holder is accepted again (same holder); a
decision, supplement or withdrawal already applied is refused (`Conflict`: the task or case
moved on), never applied twice.
"""

import re
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from cases.errors import (
    CaseError,
    Conflict,
    Invalid,
    NotAllowed,
    NotFound,
    OutcomeUnknown,
    Unavailable,
)
from domain.text import Text
from forms.messages import Problem
from runtime.temporal import TemporalUnavailable, deadline, deadlines
from store.models import User
from workflows import case_workflow_id
from workflows.models import Actor
from workflows.scenario import ScenarioWorkflow

# a workflow validator's refusal type -> what it means; any other type is a `Conflict`
REFUSALS: dict[str, type[CaseError]] = {
    "WrongDepartment": NotAllowed,
    "ActorMismatch": NotAllowed,
    "NotSupervisor": NotAllowed,
    "NotReviewed": NotFound,
    "TaskClosed": Conflict,
    "TaskHeld": Conflict,
    "TaskNotHeld": Conflict,
    "NoSupplementAsked": Conflict,
    "CaseClosed": Conflict,
    "ReasonRequired": Invalid,
    "SupplementInvalid": Invalid,
    "SupplementMismatch": Invalid,
}
REFRESH = Text(
    zh="请刷新后查看任务或办件的当前状态，再决定下一步",
    en="Reload the task or case to see its current state, then decide what to do",
)


def outcome_unknown() -> OutcomeUnknown:
    """An update nobody answered in time: it may still be applied."""
    return OutcomeUnknown(
        Text(
            zh="部门服务未及时应答，无法确认操作是否已生效：请刷新查看最新状态，未生效再重试",
            en="The department service did not answer in time, so whether your action took "
            "effect is not known: refresh to see the current state, and retry if it did not",
        ),
        code="outcome_unknown",
    )


def refused(update: Any, kind: str, text: Text) -> CaseError:
    """A workflow's refusal: one problem located at the refused update (`claim`, `decide`,
    `supplement`, `withdraw`), coded by the refusal's type, its message the `Text` the
    workflow gave (workflows/scenario.py `_refuse`)."""
    code = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower() or "refused"
    problem = Problem(
        loc=getattr(update, "__name__", "update"), code=code, message=text, fix=REFRESH
    )
    return REFUSALS.get(kind, Conflict)(text, code, [problem])


def actor_of(user: User) -> Actor:
    """The signed-in user as the workflow receives them, inside the sealed update."""
    return Actor(
        user_id=user.id or 0,
        username=user.username,
        role=user.role.value,
        department=user.department,
    )


async def call_update(temporal: Client, case_id: str, update: Any, arg: Any) -> Any:
    """Execute `update` on the case's workflow and return its result; refusals, a finished
    workflow and Temporal not answering raise `CaseError`s."""
    handle = temporal.get_workflow_handle_for(ScenarioWorkflow.run, case_workflow_id(case_id))
    seconds = deadlines().update_s
    try:
        async with deadline(seconds):
            return await handle.execute_update(update, arg, rpc_timeout=timedelta(seconds=seconds))
    except TemporalUnavailable:
        raise outcome_unknown() from None
    except WorkflowUpdateFailedError as err:
        raise refused(update, *_refusal_of(err.cause)) from None
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:  # the workflow has finished
            raise Conflict(
                Text(zh="该办件已结束，无法再处理", en="the case is closed; nothing is open")
            ) from None
        raise Unavailable(
            Text(zh="办件服务暂不可用，请稍后重试", en="the case service is unavailable; retry")
        ) from None


def _refusal_of(cause: BaseException | None) -> tuple[str, Text]:
    """The type and bilingual message of a workflow's refusal (its details carry the `Text`);
    any other failure keeps its message in both languages."""
    if isinstance(cause, ApplicationError) and cause.details:
        return cause.type or "", Text.model_validate(cause.details[0])
    message = str(cause) if cause is not None else "refused"
    return (cause.type or "") if isinstance(cause, ApplicationError) else "", Text(
        zh=message, en=message
    )
