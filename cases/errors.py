"""What the case service refuses or cannot finish, said to people in both languages.

Each error carries its bilingual `message`, an optional `code` for programs (a workflow
refusal's type, `outcome_unknown`, ...) and the `problems` located where the request went
wrong. Its class tells what happened, not how it is answered: the API maps the classes to
HTTP statuses (routers/errors.py), the pages to a message on the page.
"""

from domain.text import Text
from forms.messages import Problem


class CaseError(Exception):
    """A case action that was refused or whose outcome is not known; nothing was changed
    unless the class says otherwise (`OutcomeUnknown`)."""

    def __init__(
        self, message: Text, code: str | None = None, problems: list[Problem] | None = None
    ):
        self.message = message
        self.code = code
        self.problems = problems or []
        super().__init__(message.en)


class NotFound(CaseError):
    """No such case or task, or none the user may see (the two are not told apart)."""


def case_not_found() -> NotFound:
    return NotFound(Text(zh="没有这个办件", en="no such case"))


def task_not_found() -> NotFound:
    return NotFound(Text(zh="没有这个审核任务", en="no such review task"))


class NotAllowed(CaseError):
    """The user may not do this (role, department, not the task's holder's supervisor)."""


class Conflict(CaseError):
    """The case or task has moved on (closed, held by another clerk, nothing asked)."""


class Invalid(CaseError):
    """What was asked cannot be done as asked (a missing reason, an assignee who is not a
    clerk of the department, a supplement other than the one requested)."""


class OutcomeUnknown(CaseError):
    """An update was sent but nobody answered in time: it may still be applied (Temporal
    keeps an update it admitted), so the user should look before repeating it."""


class Unavailable(CaseError):
    """The case service did not take the request; nothing was done, repeating is safe."""
