"""Delivering a user's action to a case's workflow as a Temporal update.

The workflow's validators are the authority: their refusals (ApplicationError types) become
HTTP errors with the bilingual message the validator wrote.

Every update has a deadline (TEMPORAL_UPDATE_TIMEOUT_S): it waits for a worker to run the
validator and the handler, and when none answers in time the caller gets 503 with
Retry-After. The outcome is then unknown, and the message says so: Temporal keeps an update
it admitted and applies it once a worker polls again (seconds after a restart). Repeating is
safe: a claim by its holder is accepted again (same holder); a decision, supplement or
withdrawal already applied is refused with 409 (the task or case moved on), never applied
twice.
"""

import re
from datetime import timedelta
from typing import Any

from fastapi import HTTPException
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from catalog.models import Text
from forms.messages import Problem
from routers.schemas import ErrorResponse
from runtime.temporal import TemporalUnavailable, deadline, deadlines
from store.models import User
from workflows import case_workflow_id
from workflows.models import Actor
from workflows.scenario import ScenarioWorkflow

STATUS_OF_REFUSAL = {
    "WrongDepartment": 403,
    "ActorMismatch": 403,
    "NotSupervisor": 403,
    "NotReviewed": 404,
    "TaskClosed": 409,
    "TaskHeld": 409,
    "TaskNotHeld": 409,
    "NoSupplementAsked": 409,
    "CaseClosed": 409,
    "ReasonRequired": 422,
    "SupplementInvalid": 422,
    "SupplementMismatch": 422,
}
RETRY_AFTER_S = "5"


def unavailable_text() -> Text:
    """Temporal does not answer (nothing was done that needs an answer)."""
    return Text(
        zh="办件服务暂时无法应答，请稍候几秒再试",
        en="The case service is not answering; retry in a few seconds",
    )


def outcome_unknown() -> HTTPException:
    """503 for an update nobody answered in time: it may still be applied."""
    body = ErrorResponse(
        error="outcome_unknown",
        message=Text(
            zh="部门服务未及时应答，无法确认操作是否已生效：请刷新查看最新状态，未生效再重试",
            en="The department service did not answer in time, so whether your action took "
            "effect is not known: refresh to see the current state, and retry if it did not",
        ),
        problems=[],
    )
    return HTTPException(
        503, detail=body.model_dump(mode="json"), headers={"Retry-After": RETRY_AFTER_S}
    )


def refused(update: Any, kind: str, message: str) -> dict[str, Any]:
    """The project's error body of a workflow's refusal: one problem located at the refused
    update (`claim`, `decide`, `supplement`, `withdraw`), coded by the refusal's type."""
    zh, _, en = message.partition(" / ")
    text = Text(zh=zh, en=en or zh)
    code = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower() or "refused"
    fix = Text(
        zh="请刷新后查看任务或办件的当前状态，再决定下一步",
        en="Reload the task or case to see its current state, then decide what to do",
    )
    problem = Problem(loc=getattr(update, "__name__", "update"), code=code, message=text, fix=fix)
    return ErrorResponse(error=code, message=text, problems=[problem]).model_dump(mode="json")


def actor_of(user: User) -> Actor:
    """The signed-in user as the workflow receives them, inside the sealed update."""
    return Actor(
        user_id=user.id or 0,
        username=user.username,
        role=user.role.value,
        department=user.department,
    )


async def call_update(temporal: Client, case_id: str, update: Any, arg: Any) -> Any:
    """Execute `update` on the case's workflow; refusals become HTTP errors."""
    handle = temporal.get_workflow_handle_for(ScenarioWorkflow.run, case_workflow_id(case_id))
    seconds = deadlines().update_s
    try:
        async with deadline(seconds):
            return await handle.execute_update(update, arg, rpc_timeout=timedelta(seconds=seconds))
    except TemporalUnavailable:  # no answer in time: `outcome_unknown`
        raise outcome_unknown() from None
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        kind = cause.type if isinstance(cause, ApplicationError) and cause.type else ""
        message = cause.message if isinstance(cause, ApplicationError) else str(cause)
        raise HTTPException(
            STATUS_OF_REFUSAL.get(kind, 409), detail=refused(update, kind, message)
        ) from None
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:  # the workflow has finished
            raise HTTPException(
                409, detail="该办件已结束，无法再处理 / the case is closed; nothing is open"
            ) from None
        raise HTTPException(
            503,
            detail="办件服务暂不可用，请稍后重试 / the case service is unavailable; retry",
            headers={"Retry-After": RETRY_AFTER_S},
        ) from None
