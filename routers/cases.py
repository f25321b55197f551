"""Cases (办件): submit one form, follow the case."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlmodel import select

from cases.submission import StartDeferred, SubmissionRejected, submit
from catalog.loader import Catalog
from forms.unified import FormInvalid, compile_form
from routers.audit import AuditDep, Auditor
from routers.deps import (
    CatalogDep,
    CurrentUser,
    RegistriesDep,
    SessionDep,
    SettingsDep,
    TemporalDep,
    identity_of,
    require,
)
from routers.responses import SIGNED_IN
from routers.schemas import (
    CaseCreate,
    CaseItemPublic,
    CasePublic,
    ErrorResponse,
    Measures,
    NotificationPublic,
    Progress,
    SupplementCreate,
    WithdrawCreate,
)
from routers.workflow_calls import actor_of, call_update
from security import masking
from store.models import Audience, Case, CaseItem, Notification, Role, User
from workflows.models import SupplementInput, WithdrawInput
from workflows.scenario import ScenarioWorkflow

router = APIRouter(prefix="/cases", tags=["cases"], responses=SIGNED_IN)
Applicant = Annotated[User, Depends(require(Role.applicant))]
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


def case_public(
    catalog: Catalog,
    case: Case,
    items: list[CaseItem],
    notifications: list[Notification] | None = None,
    whole: bool = False,
) -> CasePublic:
    """The applicant's view of a case: status, items, progress, outputs and measures. The
    issued outputs are masked (lists, other viewers) unless `whole` (the applicant's own
    case, core/masking.py)."""

    def shown(issued: dict[str, str]) -> dict[str, str]:
        return dict(issued) if whole else masking.mask_outputs(catalog, issued)

    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    done = {i.item for i in items if i.status == "done"}
    public_items = []
    outputs: dict[str, str] = {}
    for row in sorted(items, key=lambda i: i.position):
        item = spec.item(row.item)
        outputs.update(row.outputs)
        public_items.append(
            CaseItemPublic(
                code=row.item,
                name=item.name,
                department=row.department,
                department_name=item.department_name,
                mode=row.mode,
                status=row.status,
                ready=all(r in done for r in item.requires),
                outputs=shown(row.outputs),
                reason=row.reason,
                completed_at=row.completed_at,
                due_at=row.due_at,
                breached=row.breached,
                department_days=row.department_days,
                applicant_days=row.applicant_days,
                supplement=row.supplement if row.status == "awaiting_supplement" else None,
            )
        )
    total = len(items)
    material_reduction = (
        1 - case.materials_provided / case.materials_baseline if case.materials_baseline else 0.0
    )
    time_reduction = (
        1 - case.actual_days / case.baseline_days
        if case.actual_days is not None and case.baseline_days
        else None
    )
    return CasePublic(
        id=case.id,
        scenario=case.scenario,
        scenario_version=case.scenario_version,
        status=case.status,
        reason=case.reason,
        submitted_at=case.submitted_at,
        completed_at=case.completed_at,
        progress=Progress(
            done=len(done),
            total=total,
            text={"zh": f"已完成 {len(done)}/{total} 项", "en": f"{len(done)} of {total} done"},
        ),
        items=public_items,
        outputs=shown(outputs),
        whole=masking.whole_fields(catalog, outputs=outputs) if whole else [],
        undone=case.undone,
        notifications=[
            NotificationPublic(
                id=n.id,
                case_id=n.case_id,
                kind=n.kind.value,  # type: ignore[arg-type]
                text=n.text,
                created_at=n.created_at,
            )  # type: ignore[arg-type]
            for n in notifications or []
        ],
        measures=Measures(
            materials_baseline=case.materials_baseline,
            materials_provided=case.materials_provided,
            material_reduction=round(material_reduction, 4),
            fields_baseline=case.fields_baseline,
            fields_typed=case.fields_typed,
            baseline_days=case.baseline_days,
            actual_days=case.actual_days,
            time_reduction=round(time_reduction, 4) if time_reduction is not None else None,
            applicant_days=round(case.applicant_days, 6),
            department_days=round(case.department_days, 6),
            breaches=case.breaches,
        ),
    )


def _items(session: SessionDep, case_id: str) -> list[CaseItem]:
    return list(session.exec(select(CaseItem).where(CaseItem.case_id == case_id)))


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
    """Submit one unified form; the case runs as one durable workflow.

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
        )
    except StartDeferred as deferred:
        case, created = deferred.case, deferred.created
        response.status_code = status.HTTP_202_ACCEPTED
    else:
        if not created:
            response.status_code = status.HTTP_200_OK
    public = await run_in_threadpool(
        lambda: case_public(catalog, case, _items(session, case.id), whole=True)
    )
    await run_in_threadpool(submitted, audit, user, public.id, created)
    return public


def submitted(audit: Auditor, user: User, case_id: str, created: bool) -> None:
    """Record a submission (case.submit; a repeated Idempotency-Key says so)."""
    detail = "" if created else "repeated"
    audit.record(user, "case.submit", object_type="case", object_id=case_id, detail=detail)


@router.get("")
def list_cases(user: CurrentUser, session: SessionDep, catalog: CatalogDep) -> list[CasePublic]:
    """The applicant's own cases (managers and admins: every case), newest first; issued
    numbers masked (the case itself shows its applicant them whole)."""
    query = select(Case).order_by(Case.submitted_at.desc())  # type: ignore[attr-defined]
    if user.role is Role.applicant:
        query = query.where(Case.applicant_id == user.id)
    elif user.role not in (Role.manager, Role.admin):
        raise HTTPException(403, detail="申请人或管理者可查看办件 / applicants and managers only")
    return [case_public(catalog, c, _items(session, c.id)) for c in session.exec(query.limit(100))]


def _visible_case(session: SessionDep, case_id: str, user: User) -> Case:
    case = session.get(Case, case_id)
    visible = case is not None and (
        case.applicant_id == user.id or user.role in (Role.manager, Role.admin)
    )
    if case is None or not visible:
        raise HTTPException(404, detail="没有这个办件 / no such case")
    return case


def _own_case(session: SessionDep, case_id: str, user: User) -> Case:
    case = session.get(Case, case_id)
    if case is None or case.applicant_id != user.id:
        raise HTTPException(404, detail="没有这个办件 / no such case")
    return case


@router.get("/{case_id}", responses={404: {"model": ErrorResponse}})
def get_case(
    case_id: str, user: CurrentUser, session: SessionDep, catalog: CatalogDep, audit: AuditDep
) -> CasePublic:
    """Status, each item's status and department, progress, outputs, measures (materials,
    one-by-one days vs actual, applicant vs department time, breaches) and messages.
    Each view is recorded in the audit trail (case.view)."""
    with audit.watched(user, "case.view", "case", case_id):
        return visible_case(session, catalog, case_id, user)


def visible_case(session: SessionDep, catalog: Catalog, case_id: str, user: User) -> CasePublic:
    """The case as `user` may see it (not audited: callers that show it record the view)."""
    case = _visible_case(session, case_id, user)
    notifications = list(
        session.exec(
            select(Notification)
            .where(Notification.case_id == case.id, Notification.audience == Audience.applicant)
            .order_by(Notification.id)  # type: ignore[arg-type]
        )
    )
    own = case.applicant_id == user.id  # whole for its applicant, masked for managers
    return case_public(catalog, case, _items(session, case.id), notifications, whole=own)


@router.post(
    "/{case_id}/supplement",
    status_code=204,
    responses={
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
)
async def supplement(
    case_id: str,
    body: SupplementCreate,
    user: Applicant,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
    audit: AuditDep,
) -> None:
    """Answer a supplement request (补正) with exactly what was asked.

    The corrected fields are validated with the same form model as the submission; the
    corrected form and the audit row (case.supplement) are written in one transaction.
    """
    async with audit.awatched(user, "case.supplement", "case", case_id):
        await _supplement(case_id, body, user, session, temporal, catalog)


async def _supplement(
    case_id: str,
    body: SupplementCreate,
    user: User,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: Catalog,
) -> None:
    case = await run_in_threadpool(_own_case, session, case_id, user)
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
    session.add(case)  # committed with the audit row


@router.post(
    "/{case_id}/withdraw",
    status_code=204,
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
async def withdraw(
    case_id: str,
    body: WithdrawCreate,
    user: Applicant,
    session: SessionDep,
    temporal: TemporalDep,
    audit: AuditDep,
) -> None:
    """Withdraw a case before completion; what was done is undone (compensated)."""
    async with audit.awatched(user, "case.withdraw", "case", case_id):
        case = await run_in_threadpool(_own_case, session, case_id, user)
        await call_update(
            temporal,
            case.id,
            ScenarioWorkflow.withdraw,
            WithdrawInput(reason=body.reason, actor=actor_of(user)),
        )
