"""Acting on a review task: claim it, assign it (supervisors), decide it. Each is a Temporal
update of the case's workflow, whose validators are the authority; each outcome is recorded
in the trail (task.claim, task.assign, task.decide) once the workflow answered."""

from anyio import to_thread
from sqlmodel import Session, select
from temporalio.client import Client

from cases.errors import Invalid, task_not_found
from cases.models import DecisionCreate, DecisionPublic
from cases.trail import Trail
from cases.updates import actor_of, call_update
from domain.text import Text
from forms.messages import Problem
from store.models import CaseItem, Role, User
from workflows.models import ClaimInput, ClaimResult, DecideInput
from workflows.scenario import ScenarioWorkflow

ASSIGNABLE = (Role.clerk, Role.supervisor)


def review_row(session: Session, task_id: int) -> CaseItem:
    """The reviewed case item behind a task id; `NotFound` if there is none."""
    row = session.get(CaseItem, task_id)
    if row is None or row.mode != "reviewed":
        raise task_not_found()
    return row


def check_assignee(session: Session, department: str, assignee: str) -> None:
    """A supervisor may assign a task to an active (not disabled) clerk or supervisor of the
    task's own department; anyone else is `Invalid` naming `assignee`, before the workflow is
    asked (it could not tell a user that does not exist from one that does)."""
    user = session.exec(select(User).where(User.username == assignee)).first()
    if (
        user is not None
        and not user.disabled
        and user.role in ASSIGNABLE
        and user.department == department
    ):
        return
    problem = Problem(
        loc="assignee",
        code="assignee_invalid",
        message=Text(
            zh=f"只能分派给本部门（{department}）在岗的经办人员",
            en=f"A task can be assigned only to an active clerk of its department ({department})",
        ),
        fix=Text(
            zh="请从本部门人员名单中选择经办人员",
            en="Choose a clerk from the department's staff list",
        ),
    )
    raise Invalid(problem.message, problem.code, [problem])


async def claim(
    trail: Trail, temporal: Client, row: CaseItem, user: User, assignee: str | None = None
) -> ClaimResult:
    """Take a task (one holder at a time), or, with `assignee`, assign it to that clerk."""
    action, detail = ("task.assign", f"to {assignee}") if assignee else ("task.claim", "")
    async with trail.awatched(user, action, "task", str(row.id), detail=detail):
        if assignee and user.role is Role.supervisor:  # others: the workflow refuses
            await to_thread.run_sync(check_assignee, trail.session, row.department, assignee)
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


async def decide(
    trail: Trail, temporal: Client, row: CaseItem, user: User, body: DecisionCreate
) -> DecisionPublic:
    """Approve, reject (reason code and text) or ask for a supplement: wrong department,
    task not held by this clerk, task closed or a missing reason are refused and change
    nothing."""
    detail = f"decision {body.decision.value}"
    async with trail.awatched(user, "task.decide", "task", str(row.id), detail=detail):
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
