"""Submitting (cases/submission.py) on the dev server: the case, its items, its number and its
audit row are one transaction, and a repeated key is recorded as such."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases import view
from cases.submission import SubmissionRejected, record_repeat, submission_recorder, submit
from catalog.loader import get_catalog
from domain.statuses import ItemStatus
from forms.prefill import Identity
from forms.unified import example_form
from runtime.settings import Settings
from store.models import Case, CaseItem, Role
from tests.cases.conftest import audit_rows, trail, user
from tests.helpers import newborn_form, resident_id, unique

pytestmark = pytest.mark.timeout(60)


class AuditDown(Exception):
    """The audit row could not be written."""


async def test_the_case_and_its_audit_row_commit_together(
    engine: Engine, dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    """A submission whose audit row fails stores nothing; one that succeeds stores the case,
    its items in the catalog's order and one `case.submit` row; a repeat adds `repeated`."""
    client: Client = dev_env.client
    catalog = get_catalog()
    spec = catalog.spec("newborn")
    assert spec is not None
    with Session(engine) as session:
        applicant = user(session, Role.applicant)
        assert applicant.id is not None
        audit = trail(session)

        def failing(case: Case) -> None:
            raise AuditDown(case.id)

        key = unique("key")
        with pytest.raises(AuditDown) as failed:
            await submit(
                session, client, catalog, applicant.id, "newborn", newborn_form(), key,
                queues=settings.queues, recorded=failing,
            )  # fmt: skip
        lost = str(failed.value)
        session.rollback()
        assert session.get(Case, lost) is None
        assert not session.exec(select(CaseItem).where(CaseItem.case_id == lost)).all()

        case, created = await submit(
            session, client, catalog, applicant.id, "newborn", newborn_form(), key,
            queues=settings.queues, recorded=submission_recorder(audit, applicant),
        )  # fmt: skip
        assert created and case.id == lost  # the same key: the same case, stored this time
        assert case.number is not None  # kept after the commit, without a reload
        items = session.exec(
            select(CaseItem).where(CaseItem.case_id == case.id).order_by(col(CaseItem.position))
        ).all()
        assert [i.item for i in items] == [i.code for i in spec.applicable(case.form).items]
        assert {(i.status, i.department_days, i.breached) for i in items} == {
            (ItemStatus.pending, 0.0, False)
        }
        assert all(i.outputs == {} for i in items)
        assert audit_rows(session, case.id) == [("case.submit", "success", "")]
        # The answer to the submission, shown without reading the case back, is the case
        # as read back.
        assert view.new_case_view(catalog, case) == view.submitted_case(session, catalog, case)

    with Session(engine) as session:  # a repeat is another request, with its own session
        again, created = await submit(
            session, client, catalog, applicant.id, "newborn", newborn_form(), key,
            queues=settings.queues, recorded=failing,
        )  # fmt: skip
        assert (again.id, created) == (case.id, False)  # a repeat records nothing itself
        record_repeat(trail(session), applicant, again.id)
        assert audit_rows(session, case.id) == [
            ("case.submit", "success", ""),
            ("case.submit", "success", "repeated"),
        ]


async def test_a_new_case_is_shown_with_the_items_that_apply_to_its_form(
    engine: Engine, dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    """An item whose condition the form does not meet is neither stored nor shown."""
    catalog = get_catalog()
    form = example_form("household_transfer", 1) | {"reissue_id_card": False}
    with Session(engine) as session:
        applicant = user(session, Role.applicant)
        assert applicant.id is not None
        case, created = await submit(
            session, dev_env.client, catalog, applicant.id, "household_transfer", form,
            unique("key"), queues=settings.queues,
        )  # fmt: skip
        shown = view.new_case_view(catalog, case)
        assert created and "id_card_reissue" not in {i.code for i in shown.items}
        assert shown == view.submitted_case(session, catalog, case)


async def test_a_repeat_answers_its_case_even_where_the_form_would_no_longer_pass(
    engine: Engine, dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    """A new submission is stored without looking for an earlier one first; a repeated key
    still answers its case, also where its form would now be refused (here: the account has
    since been bound to a resident ID the form does not name)."""
    catalog = get_catalog()
    key, stranger = unique("key"), Identity(resident_id=resident_id("110105", "19640815", 3))
    with Session(engine) as session:
        applicant = user(session, Role.applicant)
        assert applicant.id is not None
        first, created = await submit(
            session, dev_env.client, catalog, applicant.id, "newborn", newborn_form(), key,
            queues=settings.queues,
        )  # fmt: skip
        assert created
        with pytest.raises(SubmissionRejected):
            await submit(
                session, dev_env.client, catalog, applicant.id, "newborn", newborn_form(),
                unique("key"), queues=settings.queues, identity=stranger,
            )  # fmt: skip
    with Session(engine) as session:
        again, created = await submit(
            session, dev_env.client, catalog, applicant.id, "newborn", newborn_form(), key,
            queues=settings.queues, identity=stranger,
        )  # fmt: skip
        assert (again.id, again.number, created) == (first.id, first.number, False)
