"""Delivering a user's action to a case's workflow as a Temporal update.

The workflow's validators are the authority: their refusals (ApplicationError types) become
HTTP errors with the bilingual message the validator wrote.
"""

from typing import Any

from fastapi import HTTPException
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

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
    try:
        return await handle.execute_update(update, arg)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        kind = cause.type if isinstance(cause, ApplicationError) and cause.type else ""
        message = cause.message if isinstance(cause, ApplicationError) else str(cause)
        raise HTTPException(STATUS_OF_REFUSAL.get(kind, 409), detail=message) from None
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:  # the workflow has finished
            raise HTTPException(
                409, detail="该办件已结束，无法再处理 / the case is closed; nothing is open"
            ) from None
        raise HTTPException(
            503, detail="办件服务暂不可用，请稍后重试 / the case service is unavailable; retry"
        ) from None
