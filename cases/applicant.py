"""What an applicant does to their running case: answer a supplement request (补正), withdraw
it. Each is a Temporal update of the case's workflow, recorded in the trail (case.supplement,
case.withdraw); another user's case is `NotFound`."""

from anyio import to_thread
from temporalio.client import Client

from cases.models import SupplementCreate, WithdrawCreate
from cases.submission import SubmissionRejected
from cases.trail import Trail
from cases.updates import actor_of, call_update
from cases.view import case_id_of, own_case
from catalog.loader import Catalog
from documents.limits import DocumentRefused
from documents.records import attach
from forms.unified import FormInvalid, compile_form
from store.models import User
from workflows.models import SupplementInput, WithdrawInput
from workflows.scenario import ScenarioWorkflow


async def supplement(
    trail: Trail,
    temporal: Client,
    catalog: Catalog,
    user: User,
    ref: str,
    body: SupplementCreate,
) -> None:
    """Answer a supplement request with exactly what was asked.

    The corrected fields are validated with the same form model as the submission
    (`SubmissionRejected` with every problem); the documents (material -> ids of the
    applicant's uploads) answer their materials and are attached to the case and item; the
    corrected form and the documents are written with the audit row, once the workflow
    accepted the supplement.
    """
    case_id = await to_thread.run_sync(case_id_of, trail.session, ref)
    async with trail.awatched(user, "case.supplement", "case", case_id):
        case = await to_thread.run_sync(own_case, trail.session, ref, user)
        form = compile_form(case.scenario, case.scenario_version, catalog)
        try:
            clean = form.validate({**case.form, **body.fields})
        except FormInvalid as exc:
            raise SubmissionRejected(exc.problems) from None
        fields = {f: clean.get(f) for f in body.fields}
        documents = {m: ids for m, ids in body.documents.items() if ids}
        await to_thread.run_sync(_attach, trail, user, case.id, body.item, documents)
        materials = list(dict.fromkeys([*body.materials, *documents]))
        await call_update(
            temporal,
            case.id,
            ScenarioWorkflow.supplement,
            SupplementInput(
                item=body.item,
                fields=fields,
                materials=materials,
                documents=documents,
                actor=actor_of(user),
            ),
        )
        case.form = clean
        trail.session.add(case)  # committed with the audit row


def _attach(
    trail: Trail, user: User, case_id: str, item: str, documents: dict[str, list[str]]
) -> None:
    """Attach a supplement's documents to the case and item (in the trail's transaction);
    SubmissionRejected (422) for an id that is not the applicant's unused upload."""
    assert user.id is not None
    try:
        for material, ids in documents.items():
            attach(trail.session, user.id, ids, case_id, item=item, material=material)
    except DocumentRefused as refused:
        raise SubmissionRejected([refused.problem], refused.status) from None


async def withdraw(
    trail: Trail, temporal: Client, user: User, ref: str, body: WithdrawCreate
) -> None:
    """Withdraw a case (by its number or id) before completion; what was done is undone
    (compensated)."""
    case_id = await to_thread.run_sync(case_id_of, trail.session, ref)
    async with trail.awatched(user, "case.withdraw", "case", case_id):
        case = await to_thread.run_sync(own_case, trail.session, ref, user)
        await call_update(
            temporal,
            case.id,
            ScenarioWorkflow.withdraw,
            WithdrawInput(reason=body.reason, actor=actor_of(user)),
        )
