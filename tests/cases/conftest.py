"""The case service's tests: cases stored in the test's database, the request's audit trail
(`routers.audit.Auditor`) as the trail, and the workers of one test on the dev server."""

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request
from temporalio.testing import WorkflowEnvironment

from cases.submission import insert_case, new_case, validate_submission
from catalog.loader import get_catalog
from domain.statuses import CaseStatus, ItemStatus
from forms.prefill import Prefilled
from routers.audit import Auditor
from runtime.settings import Settings
from store.models import AuditEvent, Case, CaseItem, Role, User
from store.users import add_user
from tests.conftest import Workers
from tests.helpers import newborn_form, unique


@pytest.fixture
async def workers(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> AsyncIterator[Workers]:
    """The scenario and department workers of this test, on the dev server."""
    async with Workers(dev_env.client, engine, settings) as workers:
        yield workers


def trail(session: Session) -> Auditor:
    """The audit trail of a request from 127.0.0.1, writing in `session`."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [],
        "client": ("127.0.0.1", 1),
    }
    return Auditor(Request(scope), session)


def user(session: Session, role: Role, department: str | None = None) -> User:
    return add_user(session, unique(role.value), "pw", role, department)


def store_case(session: Session, applicant: User) -> str:
    """A newborn case of `applicant` stored as its workflow's first write leaves it
    (running: a case stored as submitted would be started by an API's reconciler)."""
    catalog = get_catalog()
    assert applicant.id is not None
    workflow_input = validate_submission(catalog, "newborn", newborn_form())
    case, items, _ = new_case(catalog, applicant.id, workflow_input, None, Prefilled())
    case.status = CaseStatus.running
    insert_case(session, case, items)
    session.commit()
    return case.id


def open_police_task(
    session: Session, applicant: User, number: str, opened_at: datetime, due_at: datetime
) -> int:
    """A new case numbered `number` with its public-security review task open, as its
    workflow leaves it: the task's id."""
    case = session.get(Case, store_case(session, applicant))
    assert case is not None
    case.number = number
    row = session.exec(
        select(CaseItem).where(
            CaseItem.case_id == case.id, CaseItem.item == "household_registration"
        )
    ).one()
    row.status, row.opened_at, row.due_at = ItemStatus.awaiting_review, opened_at, due_at
    session.add_all([case, row])
    session.commit()
    assert row.id is not None
    return row.id


def audit_rows(session: Session, object_id: str) -> list[tuple[str, str, str]]:
    """(action, outcome, detail) of the object's audit rows, in order."""
    query = select(AuditEvent).where(AuditEvent.object_id == object_id)
    return [
        (e.action, e.outcome, e.detail) for e in session.exec(query.order_by(col(AuditEvent.seq)))
    ]
