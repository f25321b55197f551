"""Department review tasks: list a department's tasks, decide one (a Temporal update)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlmodel import col, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.models import ItemStatus
from routers.deps import CatalogDep, SessionDep, TemporalDep, require
from routers.schemas import DecisionCreate, DecisionPublic, ErrorResponse, TaskPublic
from store.models import Case, CaseItem, Role, User
from workflows import case_workflow_id
from workflows.models import DecideInput
from workflows.scenario import ScenarioWorkflow

router = APIRouter(prefix="/tasks", tags=["tasks"])
Clerk = Annotated[User, Depends(require(Role.clerk, Role.supervisor))]
OPEN = (ItemStatus.awaiting_review,)


def _task(catalog: CatalogDep, row: CaseItem, case: Case, outputs: dict[str, str]) -> TaskPublic:
    """The task with only the form fields and upstream outputs its item declares."""
    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    item = spec.item(row.item)
    return TaskPublic(
        id=row.id,
        case_id=row.case_id,
        item=row.item,
        item_name=item.name,  # type: ignore[arg-type]
        department=row.department,
        status="open" if row.status in OPEN else row.status.value,
        opened_at=row.opened_at,
        decided_by=row.decided_by,
        reason=row.reason,
        fields={f: case.form[f] for f in item.fields if f in case.form},
        upstream={o: outputs[o] for o in item.uses_outputs if o in outputs},
    )


@router.get("")
def list_tasks(
    user: Clerk,
    session: SessionDep,
    catalog: CatalogDep,
    department: str | None = None,
    status: Literal["open", "closed", "all"] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TaskPublic]:
    """Review tasks of the clerk's own department, oldest first."""
    department = department or user.department
    if department != user.department:
        raise HTTPException(
            403,
            detail=(
                f"只能查看本部门（{user.department}）的任务 / "
                f"you may list only your department's tasks ({user.department})"
            ),
        )
    query = (
        select(CaseItem, Case)
        .join(Case)
        .where(
            CaseItem.department == department,
            CaseItem.mode == "reviewed",
            col(CaseItem.opened_at).is_not(None),
        )
    )
    if status == "open":
        query = query.where(col(CaseItem.status).in_(OPEN))
    elif status == "closed":
        query = query.where(col(CaseItem.status).not_in(OPEN))
    rows = session.exec(query.order_by(col(CaseItem.opened_at)).limit(limit)).all()
    outputs: dict[str, dict[str, str]] = {}
    case_ids = {case.id for _, case in rows}
    for other in session.exec(select(CaseItem).where(col(CaseItem.case_id).in_(case_ids))):
        outputs.setdefault(other.case_id, {}).update(other.outputs)
    return [_task(catalog, row, case, outputs.get(case.id, {})) for row, case in rows]


ERROR_STATUS = {
    "WrongDepartment": 403,
    "TaskClosed": 409,
    "ReasonRequired": 422,
    "NotReviewed": 404,
}


@router.post(
    "/{task_id}/decision",
    responses={
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
)
async def decide(
    task_id: int,
    body: DecisionCreate,
    user: Clerk,
    session: SessionDep,
    temporal: TemporalDep,
) -> DecisionPublic:
    """Approve or reject a task; the case's workflow validates the decision (Temporal update)."""
    row = session.get(CaseItem, task_id)
    if row is None or row.mode != "reviewed":
        raise HTTPException(404, detail="没有这个审核任务 / no such review task")
    handle = temporal.get_workflow_handle_for(ScenarioWorkflow.run, case_workflow_id(row.case_id))
    try:
        result = await handle.execute_update(
            ScenarioWorkflow.decide,
            DecideInput(
                item=row.item,
                decision=body.decision,
                reason=body.reason,
                clerk=user.username,
                department=user.department or "",
            ),
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        code = cause.type if isinstance(cause, ApplicationError) and cause.type else "Refused"
        raise HTTPException(ERROR_STATUS.get(code, 409), detail=str(cause)) from None
    except RPCError:  # the case's workflow has finished: nothing is open any more
        raise HTTPException(
            409, detail=("该办件已办结，任务已关闭 / the case is closed, so is its task")
        ) from None
    return DecisionPublic(
        task_id=task_id,
        item=result.item,
        decision=result.decision.value,
        decided_at=result.decided_at,
    )
