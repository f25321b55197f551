"""A department's review tasks (cases/tasks.py, cases/review.py) on each database: the
lists and their filters, one task, who may list them and who may be assigned one."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cases.errors import Invalid, NotAllowed, NotFound
from cases.review import check_assignee, review_row
from cases.tasks import department_task, department_tasks, listed_department
from catalog.loader import get_catalog
from domain.statuses import ItemStatus
from store.models import CaseItem, Role
from store.users import set_disabled
from tests.cases.conftest import store_case, user

DEPARTMENT = "public-security"
REVIEWED = "household_registration"


def open_task(session: Session, case_id: str, due_in: timedelta, holder: str | None) -> int:
    """Open the case's review task as its workflow does, due in `due_in`; its id."""
    row = session.exec(
        select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.item == REVIEWED)
    ).one()
    now = datetime.now(UTC)
    row.status, row.opened_at, row.due_at, row.holder = (
        ItemStatus.awaiting_review,
        now - timedelta(days=1),
        now + due_in,
        holder,
    )
    session.add(row)
    session.commit()
    assert row.id is not None
    return row.id


def test_a_departments_tasks_by_status_and_holder(engine: Engine) -> None:
    catalog = get_catalog()
    with Session(engine) as session:
        applicant = user(session, Role.applicant)
        late = open_task(session, store_case(session, applicant), -timedelta(hours=1), None)
        held = open_task(session, store_case(session, applicant), timedelta(days=9), "clerk-a")

        def listed(status: str, holder: str | None = None) -> set[int]:
            tasks = department_tasks(session, catalog, DEPARTMENT, status, holder, 500)  # type: ignore[arg-type]
            return {t.id for t in tasks} & {late, held}

        assert listed("open") == {late, held}
        assert listed("overdue") == {late}
        assert listed("open", "clerk-a") == {held}
        assert listed("closed") == set()
        assert not {t.id for t in department_tasks(session, catalog, "tax", "all")} & {late, held}
        row = session.get(CaseItem, late)
        assert row is not None
        row.status = ItemStatus.done
        session.add(row)
        session.commit()
        assert listed("closed") == {late} and listed("open") == {held}

        listed_task = next(
            t for t in department_tasks(session, catalog, DEPARTMENT, "open") if t.id == held
        )
        task = department_task(session, catalog, held, DEPARTMENT)
        assert set(task.fields) == set(listed_task.fields) and task.whole
        for code in task.whole:  # whole on the task itself, masked in the list
            if code in task.fields:
                assert listed_task.fields[code] != task.fields[code]
        assert listed_task.whole == []


def test_one_task_only_of_its_own_department(engine: Engine) -> None:
    catalog = get_catalog()
    with Session(engine) as session:
        case_id = store_case(session, user(session, Role.applicant))
        automatic = session.exec(
            select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.item != REVIEWED)
        ).first()
        assert automatic is not None and automatic.id is not None
        reviewed = session.exec(
            select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.item == REVIEWED)
        ).one()
        assert reviewed.id is not None
        with pytest.raises(NotFound):  # not opened yet
            department_task(session, catalog, reviewed.id, DEPARTMENT)
        task_id = open_task(session, case_id, timedelta(days=5), None)
        assert department_task(session, catalog, task_id, DEPARTMENT).case_id == case_id
        for task, department in ((task_id, "tax"), (task_id, None), (10**9, DEPARTMENT)):
            with pytest.raises(NotFound) as refused:
                department_task(session, catalog, task, department)
            assert refused.value.message.en == "no such review task"
        assert review_row(session, task_id).item == REVIEWED
        with pytest.raises(NotFound):
            review_row(session, automatic.id)


def test_a_clerk_lists_only_their_own_departments_tasks(engine: Engine) -> None:
    with Session(engine) as session:
        clerk = user(session, Role.clerk, DEPARTMENT)
        assert listed_department(clerk, None) == DEPARTMENT
        assert listed_department(clerk, DEPARTMENT) == DEPARTMENT
        with pytest.raises(NotAllowed) as refused:
            listed_department(clerk, "tax")
        assert DEPARTMENT in refused.value.message.en and refused.value.message.zh
        clerk.department = None  # the column allows it: such a clerk lists nothing
        with pytest.raises(NotAllowed):
            listed_department(clerk, None)


def test_a_task_is_assigned_only_to_an_active_clerk_of_its_department(engine: Engine) -> None:
    with Session(engine) as session:
        clerk = user(session, Role.clerk, DEPARTMENT)
        supervisor = user(session, Role.supervisor, DEPARTMENT)
        disabled = user(session, Role.clerk, DEPARTMENT)
        set_disabled(disabled, True)
        session.add(disabled)
        session.commit()
        for fine in (clerk, supervisor):
            check_assignee(session, DEPARTMENT, fine.username)
        others = [
            "nobody",
            disabled.username,
            user(session, Role.clerk, "tax").username,
            user(session, Role.manager).username,
        ]
        for name in others:
            with pytest.raises(Invalid) as refused:
                check_assignee(session, DEPARTMENT, name)
            assert refused.value.code == "assignee_invalid"
            assert [(p.loc, p.code) for p in refused.value.problems] == [
                ("assignee", "assignee_invalid")
            ]
