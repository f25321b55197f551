"""The case service's actions on real workflows (dev server): claim, decide, supplement and
withdraw; the workflow's refusals come back as domain errors and every outcome is in the
audit trail as the API records it."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.applicant import supplement, withdraw
from cases.errors import Conflict, Invalid, NotAllowed, NotFound, OutcomeUnknown
from cases.models import DecisionCreate, SupplementCreate, WithdrawCreate
from cases.review import claim, decide
from cases.submission import SubmissionRejected, submit
from catalog.loader import get_catalog
from domain.statuses import CaseStatus, ItemStatus
from runtime.settings import Settings
from runtime.temporal import use_deadlines
from store.models import Case, CaseItem, Role, User
from tests.cases.conftest import audit_rows, trail, user
from tests.conftest import Workers
from tests.helpers import newborn_form, wait_until
from workflows import case_workflow_id

pytestmark = pytest.mark.timeout(120)
DEPARTMENT = "public-security"
REVIEWED = "household_registration"
ADDRESS = "重庆市渝中区民族路100号"


async def submitted(session: Session, temporal: Client, settings: Settings, who: User) -> str:
    assert who.id is not None
    case, created = await submit(
        session, temporal, get_catalog(), who.id, "newborn", newborn_form(), queues=settings.queues
    )
    assert created
    return case.id


async def reviewed_item(
    engine: Engine, case_id: str, status: ItemStatus = ItemStatus.awaiting_review
) -> CaseItem:
    """The case's review task once it reached `status` in the read model."""

    def reached() -> CaseItem | None:
        with Session(engine) as session:
            row = session.exec(
                select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.item == REVIEWED)
            ).one()
            return row if row.status is status else None

    return await wait_until(reached, timeout=30, what=f"{REVIEWED} {status.value}")


async def test_claims_and_decisions_refused_by_the_workflow_are_domain_errors(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings, workers: Workers
) -> None:
    temporal = dev_env.client
    with Session(engine) as session:
        applicant = user(session, Role.applicant)
        clerk, other = user(session, Role.clerk, DEPARTMENT), user(session, Role.clerk, "tax")
        case_id = await submitted(session, temporal, settings, applicant)
        row = await reviewed_item(engine, case_id)
        audit = trail(session)
        approve = DecisionCreate.model_validate({"decision": "approve"})

        with pytest.raises(NotAllowed) as wrong:
            await claim(audit, temporal, row, other)
        assert wrong.value.code == "wrong_department" and DEPARTMENT in wrong.value.message.en
        assert [(p.loc, p.code) for p in wrong.value.problems] == [("claim", "wrong_department")]
        with pytest.raises(Conflict) as not_held:
            await decide(audit, temporal, row, clerk, approve)
        assert not_held.value.code == "task_not_held"

        assert (await claim(audit, temporal, row, clerk)).holder == clerk.username
        unexplained = DecisionCreate.model_validate({"decision": "reject", "reason": "  "})
        with pytest.raises(Invalid) as no_reason:
            await decide(audit, temporal, row, clerk, unexplained)
        assert no_reason.value.code == "reason_required" and no_reason.value.message.zh
        decided = await decide(audit, temporal, row, clerk, approve)
        assert (decided.task_id, decided.decision) == (row.id, "approve")
        with pytest.raises(Conflict):
            await decide(audit, temporal, row, clerk, approve)
        assert audit_rows(session, str(row.id)) == [
            ("task.claim", "denied", "HTTP 403"),
            ("task.decide", "failure", "HTTP 409"),
            ("task.claim", "success", ""),
            ("task.decide", "failure", "HTTP 422"),
            ("task.decide", "success", "decision approve"),
            ("task.decide", "failure", "HTTP 409"),
        ]


async def test_the_applicant_answers_a_supplement_request_then_withdraws(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings, workers: Workers
) -> None:
    temporal = dev_env.client
    catalog = get_catalog()
    with Session(engine) as session:
        applicant, stranger = user(session, Role.applicant), user(session, Role.applicant)
        clerk = user(session, Role.clerk, DEPARTMENT)
        case_id = await submitted(session, temporal, settings, applicant)
        row = await reviewed_item(engine, case_id)
        audit = trail(session)
        await claim(audit, temporal, row, clerk)
        asked = {"fields": ["household_address"], "materials": [], "note": "门牌号缺失"}
        ask = DecisionCreate.model_validate({"decision": "supplement", "supplement": asked})
        await decide(audit, temporal, row, clerk, ask)
        await reviewed_item(engine, case_id, ItemStatus.awaiting_supplement)

        answer = SupplementCreate(item=REVIEWED, fields={"household_address": ADDRESS})
        with pytest.raises(NotFound):
            await supplement(audit, temporal, catalog, stranger, case_id, answer)
        wrong = SupplementCreate(item=REVIEWED, fields={"no_such_field": "x"})
        with pytest.raises(SubmissionRejected):
            await supplement(audit, temporal, catalog, applicant, case_id, wrong)
        await supplement(audit, temporal, catalog, applicant, case_id, answer)
        await reviewed_item(engine, case_id)  # back with the department
        with Session(engine) as other:
            stored = other.get(Case, case_id)
            assert stored is not None and stored.form["household_address"] == ADDRESS

        reason = WithdrawCreate(reason="changed my mind")
        with pytest.raises(NotFound):
            await withdraw(audit, temporal, stranger, case_id, reason)
        await withdraw(audit, temporal, applicant, case_id, reason)

        def withdrawn() -> bool:
            with Session(engine) as other:
                case = other.get(Case, case_id)
                return case is not None and case.status is CaseStatus.withdrawn

        await wait_until(withdrawn, what="the case withdrawn")
        with pytest.raises(Conflict):
            await withdraw(audit, temporal, applicant, case_id, reason)
        assert audit_rows(session, case_id) == [
            ("case.supplement", "failure", "HTTP 404"),
            ("case.supplement", "failure", "SubmissionRejected"),
            ("case.supplement", "success", ""),
            ("case.withdraw", "failure", "HTTP 404"),
            ("case.withdraw", "success", ""),
            ("case.withdraw", "failure", "HTTP 409"),
        ]


async def test_an_update_nobody_answers_is_an_unknown_outcome_within_the_deadline(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    temporal = dev_env.client
    with Session(engine) as session:
        applicant = user(session, Role.applicant)
        case_id = await submitted(session, temporal, settings, applicant)  # no worker polls
        case = session.get(Case, case_id)
        assert case is not None
        case.status = CaseStatus.running  # not a case for an API's reconciler
        session.add(case)
        session.commit()
        use_deadlines(settings.model_copy(update={"temporal_update_timeout_s": 1.0}))
        try:
            with pytest.raises(OutcomeUnknown) as unknown:
                await withdraw(
                    trail(session), temporal, applicant, case_id, WithdrawCreate(reason="-")
                )
        finally:
            use_deadlines(settings)
            await temporal.get_workflow_handle(case_workflow_id(case_id)).terminate("test over")
        assert unknown.value.code == "outcome_unknown" and "not known" in unknown.value.message.en
        assert audit_rows(session, case_id) == [("case.withdraw", "failure", "HTTP 503")]
