"""Department review tasks: list a department's tasks, decide one (a Temporal update)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, col, select
from temporalio.client import Client

from catalog.loader import Catalog
from domain.statuses import ItemStatus
from middleware.bounds import RowId
from routers.assignment import check_assignee
from routers.audit import AuditDep, Auditor
from routers.deps import CatalogDep, SessionDep, TemporalDep, require
from routers.responses import SIGNED_IN, errors
from routers.schemas import ClaimCreate, DecisionCreate, DecisionPublic, TaskPublic
from routers.workflow_calls import actor_of, call_update
from security import masking
from store.models import Case, CaseItem, Role, User
from workflows.models import ClaimInput, ClaimResult, DecideInput
from workflows.scenario import ScenarioWorkflow

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=SIGNED_IN)
Clerk = Annotated[User, Depends(require(Role.clerk, Role.supervisor))]
OPEN = (ItemStatus.awaiting_review,)
WAITING = (ItemStatus.awaiting_supplement,)
STATUS_NAMES = {ItemStatus.awaiting_review: "open", ItemStatus.awaiting_supplement: "waiting"}
ERRORS = errors(404, 409)


def _task(
    catalog: Catalog,
    row: CaseItem,
    case: Case,
    outputs: dict[str, str],
    now: datetime,
    whole: bool = False,
) -> TaskPublic:
    """The task with only the form fields, materials and outputs its item declares: the
    personal ones whole on the task itself (`whole`), masked in lists (core/masking.py)."""
    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    item = spec.item(row.item)
    remaining = None
    if row.due_at is not None:
        remaining = (
            catalog.calendar.working_days_between(now, row.due_at)
            if row.due_at >= now
            else -catalog.calendar.working_days_between(row.due_at, now)
        )
    is_open = row.status in OPEN
    fields = {f: case.form[f] for f in item.fields if f in case.form}
    upstream = {o: outputs[o] for o in item.uses_outputs if o in outputs}
    return TaskPublic(
        id=row.id,  # type: ignore[arg-type]
        case_id=row.case_id,
        item=row.item,
        item_name=item.name,
        department=row.department,
        status=STATUS_NAMES.get(row.status, row.status.value),
        opened_at=row.opened_at,
        due_at=row.due_at,
        remaining_working_days=round(remaining, 3) if remaining is not None else None,
        overdue=bool(is_open and remaining is not None and remaining < 0),
        breached=row.breached,
        holder=row.holder,
        decided_by=row.decided_by,
        reason_code=row.reason_code,
        reason=row.reason,
        supplement=row.supplement,
        department_days=row.department_days,
        applicant_days=row.applicant_days,
        fields=fields if whole else masking.mask_fields(catalog, fields),
        upstream=upstream if whole else masking.mask_outputs(catalog, upstream),
        materials=[catalog.materials[m].name for m in item.materials],
        whole=masking.whole_fields(catalog, fields, upstream) if whole else [],
    )


TaskStatus = Literal["open", "overdue", "waiting", "closed", "all"]


def department_tasks(
    session: Session,
    catalog: Catalog,
    department: str,
    status: TaskStatus = "open",
    holder: str | None = None,
    limit: int = 100,
) -> list[TaskPublic]:
    """A department's review tasks, earliest deadline first (the API and the inbox pages)."""
    query = (
        select(CaseItem, Case)
        .join(Case)
        .where(
            CaseItem.department == department,
            CaseItem.mode == "reviewed",
            col(CaseItem.opened_at).is_not(None),
        )
    )
    now = datetime.now(UTC)
    if status in ("open", "overdue"):
        query = query.where(col(CaseItem.status).in_(OPEN))
    if status == "overdue":
        query = query.where(col(CaseItem.due_at) < now)
    elif status == "waiting":
        query = query.where(col(CaseItem.status).in_(WAITING))
    elif status == "closed":
        query = query.where(col(CaseItem.status).not_in(OPEN + WAITING))
    if holder:
        query = query.where(CaseItem.holder == holder)
    order = (col(CaseItem.due_at), col(CaseItem.id))
    rows = session.exec(query.order_by(*order).limit(limit)).all()
    return _tasks(session, catalog, rows, now)


def department_task(session: Session, catalog: Catalog, task_id: int) -> TaskPublic | None:
    """One review task as its department sees it, or None if there is no such task: the
    data its item needs shown whole (`TaskPublic.whole` names the personal ones)."""
    row = session.get(CaseItem, task_id)
    if row is None or row.mode != "reviewed" or row.opened_at is None:
        return None
    case = session.get(Case, row.case_id)
    assert case is not None
    return _tasks(session, catalog, [(row, case)], datetime.now(UTC), whole=True)[0]


def _tasks(
    session: Session,
    catalog: Catalog,
    rows: Sequence[tuple[CaseItem, Case]],
    now: datetime,
    whole: bool = False,
) -> list[TaskPublic]:
    outputs: dict[str, dict[str, str]] = {}
    case_ids = {case.id for _, case in rows}
    for other in session.exec(select(CaseItem).where(col(CaseItem.case_id).in_(case_ids))):
        outputs.setdefault(other.case_id, {}).update(other.outputs)
    return [_task(catalog, row, case, outputs.get(case.id, {}), now, whole) for row, case in rows]


@router.get("")
def list_tasks(
    user: Clerk,
    session: SessionDep,
    catalog: CatalogDep,
    department: str | None = None,
    status: TaskStatus = "open",
    holder: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TaskPublic]:
    """Review tasks of the clerk's own department, earliest deadline first.

    `open`: waiting for the department; `overdue`: open and past the promised limit;
    `waiting`: waiting for the applicant's supplement; `closed`: decided or cancelled.
    """
    department = department or user.department
    # a clerk without a department (the column allows it) lists nothing, not NULL's tasks
    if department is None or department != user.department:
        raise HTTPException(
            403,
            detail=(
                f"只能查看本部门（{user.department}）的任务 / "
                f"you may list only your department's tasks ({user.department})"
            ),
        )
    return department_tasks(session, catalog, department, status, holder, limit)


def review_row(session: Session, task_id: int) -> CaseItem:
    """The reviewed case item behind a task id; 404 if there is none."""
    row = session.get(CaseItem, task_id)
    if row is None or row.mode != "reviewed":
        raise HTTPException(404, detail="没有这个审核任务 / no such review task")
    return row


async def claim_task(
    temporal: Client, row: CaseItem, user: User, audit: Auditor, assignee: str | None = None
) -> ClaimResult:
    """Deliver a claim (or a supervisor's assignment) to the case's workflow; the outcome
    is recorded in the audit trail (task.claim, task.assign) once the workflow answered."""
    action, detail = ("task.assign", f"to {assignee}") if assignee else ("task.claim", "")
    async with audit.awatched(user, action, "task", str(row.id), detail=detail):
        if assignee and user.role is Role.supervisor:  # others: the workflow refuses (403)
            await run_in_threadpool(check_assignee, audit.session, row.department, assignee)
        return await call_update(
            temporal,
            row.case_id,
            ScenarioWorkflow.claim,
            ClaimInput(
                item=row.item,
                clerk=user.username,
                department=user.department or "",
                supervisor=user.role is Role.supervisor,
                assignee=assignee,
                actor=actor_of(user),
            ),
        )


async def decide_task(
    temporal: Client, row: CaseItem, user: User, body: DecisionCreate, audit: Auditor
) -> DecisionPublic:
    """Deliver a decision to the case's workflow; its validator accepts or refuses it, and
    the outcome is recorded in the audit trail (task.decide)."""
    detail = f"decision {body.decision.value}"
    async with audit.awatched(user, "task.decide", "task", str(row.id), detail=detail):
        result = await call_update(
            temporal,
            row.case_id,
            ScenarioWorkflow.decide,
            DecideInput(
                item=row.item,
                decision=body.decision,
                reason_code=body.reason_code,
                reason=body.reason,
                data=body.data,
                supplement=body.supplement,
                clerk=user.username,
                department=user.department or "",
                actor=actor_of(user),
            ),
        )
    return DecisionPublic(
        task_id=row.id,  # type: ignore[arg-type]
        item=result.item,
        decision=result.decision.value,
        decided_at=result.decided_at,
    )


@router.get("/{task_id}", responses=ERRORS)
def get_task(
    task_id: RowId, user: Clerk, session: SessionDep, catalog: CatalogDep, audit: AuditDep
) -> TaskPublic:
    """One review task of the clerk's department: the data its item needs, shown whole
    (`whole` names the personal fields and outputs; lists mask them). Each view is recorded
    in the audit trail (task.view)."""
    with audit.watched(user, "task.view", "task", str(task_id)):
        task = department_task(session, catalog, task_id)
        if task is None or task.department != user.department:
            raise HTTPException(404, detail="没有这个审核任务 / no such review task")
        return task


@router.post("/{task_id}/claim", responses=ERRORS)
async def claim(
    task_id: RowId,
    user: Clerk,
    session: SessionDep,
    temporal: TemporalDep,
    audit: AuditDep,
    body: ClaimCreate | None = None,
) -> ClaimResult:
    """Take a task (one holder at a time); a supervisor may assign it to a clerk
    (`assignee`: an active clerk of the task's department). The body may be left out."""
    row = await run_in_threadpool(review_row, session, task_id)
    return await claim_task(temporal, row, user, audit, body.assignee if body else None)


@router.post("/{task_id}/decision", responses=ERRORS)
async def decide(
    task_id: RowId,
    body: DecisionCreate,
    user: Clerk,
    session: SessionDep,
    temporal: TemporalDep,
    audit: AuditDep,
) -> DecisionPublic:
    """Approve, reject (reason code and text) or ask for a supplement (补正).

    The case's workflow validates the decision (Temporal update): wrong department, task not
    held by this clerk, task closed or a missing reason are refused and change nothing.
    """
    row = await run_in_threadpool(review_row, session, task_id)
    return await decide_task(temporal, row, user, body, audit)
