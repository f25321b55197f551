"""Department review tasks: list a department's tasks, see one, claim and decide it (the
case service: cases/tasks.py, cases/review.py)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from cases import review, tasks
from cases.models import DecisionCreate, DecisionPublic, TaskPublic
from cases.tasks import CASE_PREFIX, MAX_PAGE, MAX_PER_PAGE, TaskSort, TaskStatus
from middleware.bounds import RowId
from routers.audit import AuditDep
from routers.deps import CatalogDep, SessionDep, TemporalDep, require
from routers.responses import SIGNED_IN, errors
from routers.schemas import ClaimCreate
from store.models import Role, User
from workflows.models import ClaimResult

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=SIGNED_IN)
Clerk = Annotated[User, Depends(require(Role.clerk, Role.supervisor))]
ERRORS = errors(404, 409)
# The bounds of a list of tasks, on the API and the inbox pages.
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Tasks per page.")]
CasePrefix = Annotated[
    str,
    Query(
        max_length=32,
        pattern=CASE_PREFIX,
        description="A case number or its beginning (CQ-20261201-000042, CQ-20261201).",
    ),
]


@router.get("")
def list_tasks(
    user: Clerk,
    session: SessionDep,
    catalog: CatalogDep,
    department: str | None = None,
    status: TaskStatus = "open",
    holder: str | None = None,
    case: CasePrefix = "",
    sort: TaskSort | None = None,
    page: Page = 1,
    per_page: PerPage = 100,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_PER_PAGE, deprecated=True, description="Older name of per_page."),
    ] = None,
) -> list[TaskPublic]:
    """Review tasks of the clerk's own department, a page at a time: open ones earliest
    deadline first, closed ones last decided first, unless `sort` says otherwise (`due`,
    `opened`, `case` number, `decided`; `-` before it for the reverse); `case` keeps the cases
    whose number is or begins with it.

    `open`: waiting for the department; `overdue`: open and past the promised limit;
    `waiting`: waiting for the applicant's supplement; `closed`: decided or cancelled.
    """
    department = tasks.listed_department(user, department)
    size = limit or per_page
    return tasks.department_tasks(
        session,
        catalog,
        department,
        status,
        holder,
        size,
        offset=(page - 1) * size,
        sort=sort,
        case=case,
    )


@router.get("/{task_id}", responses=ERRORS)
def get_task(
    task_id: RowId, user: Clerk, session: SessionDep, catalog: CatalogDep, audit: AuditDep
) -> TaskPublic:
    """One review task of the clerk's department: the data its item needs, shown whole
    (`whole` names the personal fields and outputs; lists mask them). Each view is recorded
    in the audit trail (task.view)."""
    with audit.watched(user, "task.view", "task", str(task_id)):
        return tasks.department_task(session, catalog, task_id, user.department)


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
    row = await run_in_threadpool(review.review_row, session, task_id)
    return await review.claim(audit, temporal, row, user, body.assignee if body else None)


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
    row = await run_in_threadpool(review.review_row, session, task_id)
    return await review.decide(audit, temporal, row, user, body)
