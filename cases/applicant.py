"""What an applicant does to their running case: answer a supplement request (补正), withdraw
it. Each is a Temporal update of the case's workflow, recorded in the trail (case.supplement,
case.withdraw); another user's case is `NotFound`."""

from anyio import to_thread
from temporalio.client import Client

from cases.models import SupplementCreate, WithdrawCreate
from cases.submission import SubmissionRejected
from cases.trail import Trail
from cases.updates import actor_of, call_update
from cases.view import own_case
from catalog.loader import Catalog
from forms.unified import FormInvalid, compile_form
from store.models import User
from workflows.models import SupplementInput, WithdrawInput
from workflows.scenario import ScenarioWorkflow


async def supplement(
    trail: Trail,
    temporal: Client,
    catalog: Catalog,
    user: User,
    case_id: str,
    body: SupplementCreate,
) -> None:
    """Answer a supplement request with exactly what was asked.

    The corrected fields are validated with the same form model as the submission
    (`SubmissionRejected` with every problem); the corrected form is written with the audit
    row, once the workflow accepted the supplement.
    """
    async with trail.awatched(user, "case.supplement", "case", case_id):
        case = await to_thread.run_sync(own_case, trail.session, case_id, user)
        form = compile_form(case.scenario, case.scenario_version, catalog)
        try:
            clean = form.validate({**case.form, **body.fields})
        except FormInvalid as exc:
            raise SubmissionRejected(exc.problems) from None
        fields = {f: clean.get(f) for f in body.fields}
        await call_update(
            temporal,
            case.id,
            ScenarioWorkflow.supplement,
            SupplementInput(
                item=body.item, fields=fields, materials=body.materials, actor=actor_of(user)
            ),
        )
        case.form = clean
        trail.session.add(case)  # committed with the audit row


async def withdraw(
    trail: Trail, temporal: Client, user: User, case_id: str, body: WithdrawCreate
) -> None:
    """Withdraw a case before completion; what was done is undone (compensated)."""
    async with trail.awatched(user, "case.withdraw", "case", case_id):
        case = await to_thread.run_sync(own_case, trail.session, case_id, user)
        await call_update(
            temporal,
            case.id,
            ScenarioWorkflow.withdraw,
            WithdrawInput(reason=body.reason, actor=actor_of(user)),
        )
