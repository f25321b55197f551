"""Who a supervisor may assign a task to: an active (not disabled) clerk or supervisor of the
task's own department; anyone else is refused with 422 naming `assignee`, before the
workflow is asked (it could not tell a user that does not exist from one that does)."""

from fastapi import HTTPException, status
from sqlmodel import Session, select

from catalog.models import Text
from forms.messages import Problem
from routers.schemas import ErrorResponse
from store.models import Role, User

ASSIGNABLE = (Role.clerk, Role.supervisor)


def assignee_problem(department: str) -> Problem:
    return Problem(
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


def check_assignee(session: Session, department: str, assignee: str) -> None:
    """Raise 422 unless `assignee` names an active clerk (or supervisor) of `department`."""
    user = session.exec(select(User).where(User.username == assignee)).first()
    if (
        user is not None
        and not user.disabled
        and user.role in ASSIGNABLE
        and user.department == department
    ):
        return
    problem = assignee_problem(department)
    body = ErrorResponse(error="assignee_invalid", message=problem.message, problems=[problem])
    raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=body.model_dump(mode="json"))
