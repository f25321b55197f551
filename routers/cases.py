"""Cases (办件): submit one form, follow the case (the case service: cases/)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Response, status
from fastapi.concurrency import run_in_threadpool

from cases import applicant, paper, view
from cases.models import CasePublic, SupplementCreate, WithdrawCreate
from cases.submission import StartDeferred, record_repeat, submission_recorder, submit
from routers.audit import AuditDep
from routers.deps import (
    CaseRef,
    CatalogDep,
    CurrentUser,
    RegistriesDep,
    SessionDep,
    SettingsDep,
    TemporalDep,
    identity_of,
    require,
)
from routers.responses import SIGNED_IN, errors
from routers.schemas import CaseCreate, ErrorResponse
from store.models import Role, User

router = APIRouter(prefix="/cases", tags=["cases"], responses=SIGNED_IN)
Applicant = Annotated[User, Depends(require(Role.applicant))]
OutputCode = Annotated[str, Path(max_length=64, pattern="^[a-z0-9_]+$")]
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The PDF"},
    **errors(404),
}
REJECTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown scenario"},
    202: {
        "model": CasePublic,
        "description": "Stored, but Temporal did not answer in time: its workflow starts "
        "within seconds (the API's reconciler); the same Idempotency-Key returns it",
    },
    409: {"model": ErrorResponse, "description": "Idempotency-Key reused for another form"},
    413: {"model": ErrorResponse, "description": "Body too large"},
    422: {"model": ErrorResponse, "description": "Every problem of the form, located"},
}


@router.post("", status_code=status.HTTP_201_CREATED, responses=REJECTION_RESPONSES)
async def create_case(
    body: CaseCreate,
    response: Response,
    user: Applicant,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    registries: RegistriesDep,
    audit: AuditDep,
    # checked by `submit` (cases.submission.checked_key): blank or too long is a 400
    idempotency_key: Annotated[str | None, Header()] = None,
) -> CasePublic:
    """Submit one unified form; the case runs as one durable workflow. `documents` hands in
    the applicant's uploads (POST /api/v1/documents) as the materials they are. The answer
    carries the case's `number`, accepted in every path instead of its id.

    With an `Idempotency-Key` header, repeating the request returns the same case (200)
    and never starts a second workflow. 202: the case is stored but Temporal did not answer
    in time; its workflow starts within seconds (the reconciler), nothing to repeat.
    """
    assert user.id is not None
    try:
        case, created = await submit(
            session,
            temporal,
            catalog,
            user.id,
            body.scenario,
            body.form,
            idempotency_key,
            queues=settings.queues,
            registries=registries,
            identity=identity_of(user),
            documents=body.documents,
            recorded=submission_recorder(audit, user),
        )
    except StartDeferred as deferred:
        case, created = deferred.case, deferred.created
        response.status_code = status.HTTP_202_ACCEPTED
    else:
        if not created:
            response.status_code = status.HTTP_200_OK
    if created:  # shown from what was stored: no read back, no thread
        return view.new_case_view(catalog, case)
    public = await run_in_threadpool(view.submitted_case, session, catalog, case)
    await run_in_threadpool(record_repeat, audit, user, public.id)
    return public


@router.get("")
def list_cases(user: CurrentUser, session: SessionDep, catalog: CatalogDep) -> list[CasePublic]:
    """The applicant's own cases (managers and admins: every case), newest first; issued
    numbers masked (the case itself shows its applicant them whole)."""
    return view.list_cases(session, catalog, user)


@router.get("/{case_ref}", responses={404: {"model": ErrorResponse}})
def get_case(
    case_ref: CaseRef, user: CurrentUser, session: SessionDep, catalog: CatalogDep, audit: AuditDep
) -> CasePublic:
    """Status, each item's status and department, progress, outputs, measures (materials,
    one-by-one days vs actual, applicant vs department time, breaches) and messages.
    Each view is recorded in the audit trail (case.view)."""
    with audit.watched(user, "case.view", "case", view.case_id_of(session, case_ref)):
        return view.visible_case(session, catalog, case_ref, user)


def pdf_response(pdf: bytes, name: str) -> Response:
    """A PDF shown in the browser, saved as `name`; never kept by a shared cache."""
    headers = {
        "Content-Disposition": f'inline; filename="{name}"',
        "Cache-Control": "private, no-store",
    }
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/{case_ref}/receipt.pdf", response_class=Response, responses=PDF)
async def receipt(
    case_ref: CaseRef,
    user: CurrentUser,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    audit: AuditDep,
) -> Response:
    """The acceptance receipt (受理回执): the case number, each item with its department and
    the date it is promised by, the materials received and a QR code to the case's page.
    Recorded in the audit trail (case.receipt)."""
    case_id = await run_in_threadpool(view.case_id_of, session, case_ref)
    async with audit.awatched(user, "case.receipt", "case", case_id):
        case, pdf = await paper.receipt_of(
            session, catalog, case_ref, user, settings.resolved_public_url
        )
    return pdf_response(pdf, f"receipt-{case.number or case.id}.pdf")


@router.get("/{case_ref}/certificates/{output}.pdf", response_class=Response, responses=PDF)
async def certificate(
    case_ref: CaseRef,
    output: OutputCode,
    user: Applicant,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    audit: AuditDep,
) -> Response:
    """The electronic certificate (电子证照) of an output the applicant's case issued: its
    number, holder, issuing department and date, and a QR code to /verify/{code}, the public
    check. Recorded in the audit trail (case.certificate)."""
    case_id = await run_in_threadpool(view.case_id_of, session, case_ref)
    async with audit.awatched(user, "case.certificate", "case", case_id, detail=output):
        case, pdf = await paper.certificate_of(
            session, catalog, case_ref, output, user, settings.resolved_public_url
        )
    return pdf_response(pdf, f"certificate-{case.number or case.id}-{output}.pdf")


@router.post(
    "/{case_ref}/supplement",
    status_code=204,
    responses={
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
)
async def supplement(
    case_ref: CaseRef,
    body: SupplementCreate,
    user: Applicant,
    temporal: TemporalDep,
    catalog: CatalogDep,
    audit: AuditDep,
) -> None:
    """Answer a supplement request (补正) with exactly what was asked.

    The corrected fields are validated with the same form model as the submission; the
    corrected form and the audit row (case.supplement) are written in one transaction.
    `documents` hands in uploads (POST /api/v1/documents) as the materials asked.
    """
    await applicant.supplement(audit, temporal, catalog, user, case_ref, body)


@router.post(
    "/{case_ref}/withdraw",
    status_code=204,
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
async def withdraw(
    case_ref: CaseRef, body: WithdrawCreate, user: Applicant, temporal: TemporalDep, audit: AuditDep
) -> None:
    """Withdraw a case before completion; what was done is undone (compensated)."""
    await applicant.withdraw(audit, temporal, user, case_ref, body)
