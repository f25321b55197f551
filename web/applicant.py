"""The applicant's pages: the services, the unified form, the cases (issue 3).

The form is drawn from the scenario's compiled form and prefilled by `forms.prefill`; a
posted form goes to `cases.submission.submit` like POST /api/v1/cases. A case is shown, and
supplemented or withdrawn, by the case service (`cases.view`, `cases.applicant`) the API
uses, so an applicant sees only their cases.
"""

import uuid
from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import col, select
from starlette.datastructures import FormData

from cases import applicant, paper, view
from cases.errors import CaseError, NotFound
from cases.models import CasePublic, SupplementCreate, WithdrawCreate
from cases.submission import (
    StartDeferred,
    SubmissionRejected,
    record_repeat,
    submission_recorder,
    submit,
    validate_submission,
)
from catalog.loader import Catalog
from catalog.models import Audience, FieldType, Scenario
from catalog.reform import material_sources, reform_figures
from domain.text import Text
from forms.messages import Problem, problems_from
from forms.prefill import prefill
from forms.unified import CompiledForm, compile_form
from routers.audit import Auditor
from routers.cases import pdf_response
from routers.deps import (
    CatalogDep,
    CookieUser,
    RegistriesDep,
    SessionDep,
    SettingsDep,
    TemporalDep,
    identity_of,
)
from routers.errors import status_of
from store.models import Case, User
from web.case_facts import AGAIN, action_needed, rejection_of, subject_of
from web.common import AnyUser, Applicant, not_found, redirect, render
from web.drafts import DraftRefused, draft_of, drafts_of, drop_draft, save_draft
from web.fields import by_field, form_sections, read_form
from web.i18n import both
from web.uploads import FILE_PREFIX, KEPT_PREFIX, kept_documents, uploaded

router = APIRouter(include_in_schema=False)


def _scenario(catalog: Catalog, code: str) -> Scenario:
    scenario = catalog.scenario(code)
    if scenario is None:
        raise not_found()
    return scenario


@router.get("/")
def scenario_list(request: Request, catalog: CatalogDep, user: CookieUser) -> Response:
    """Every scenario by audience: stage, items and how many materials and days it saves."""
    groups: dict[Audience, list[dict[str, Any]]] = {audience: [] for audience in Audience}
    for scenario in catalog.latest_versions():
        spec = catalog.spec(scenario.code, scenario.version)
        assert spec is not None
        figures = reform_figures(catalog, spec)
        groups[scenario.audience].append({"scenario": scenario, "figures": figures})
    return render(request, "scenarios.html", {"groups": groups}, user=user)


# -- the unified form -----------------------------------------------------------------------
def _form_page(
    request: Request,
    catalog: Catalog,
    scenario: Scenario,
    user: User,
    values: dict[str, Any],
    sources: dict[str, str],
    fetched: list[str],
    asked: list[str],
    key: str,
    problems: list[Problem] | None = None,
    kept: dict[str, list[tuple[str, str]]] | None = None,
    resumed: str | None = None,
) -> Response:
    form = compile_form(scenario.code, scenario.version, catalog)
    sections = form_sections(catalog, form, values, problems or [], sources)
    drawn = {f.code for s in sections for f in s.fields}
    located, general = by_field(problems or [])
    general += [p for code, p in located.items() if code not in drawn]
    general = [p for p in general if not p.loc.startswith(FILE_PREFIX)]  # at their input
    files = _file_context(request, problems or [])["file_problems"]
    context = {
        "scenario": scenario,
        "sections": sections,
        "problems": problems or [],
        # the error summary: a link to each field with a problem, in the form's order
        "bad": [f for s in sections for f in s.fields if f.problem],
        "bad_files": [
            (m, catalog.materials[m].name, files[FILE_PREFIX + m])
            for m in asked
            if FILE_PREFIX + m in files
        ],
        "general": general,
        "resumed": resumed,
        "key": key,
        "fetched": [catalog.materials[m].name for m in fetched],
        "asked": [catalog.materials[m].name for m in asked],
        # a file input per material asked, with the files kept from an earlier post
        "uploads": [(m, catalog.materials[m].name, (kept or {}).get(m, [])) for m in asked],
        **_file_context(request, problems or []),
    }
    return render(request, "apply.html", context, 422 if problems else 200, user)


async def _prefilled(
    catalog: Catalog, scenario: Scenario, registries: RegistriesDep, user: User
) -> Any:
    spec = catalog.spec(scenario.code, scenario.version)
    assert spec is not None
    return await prefill(catalog, spec, registries, identity_of(user))


@router.get("/scenarios/{code}/apply")
async def apply_page(
    code: str,
    request: Request,
    user: Applicant,
    session: SessionDep,
    catalog: CatalogDep,
    registries: RegistriesDep,
    draft: str = "",
    again: str = Query("", alias="from"),
) -> Response:
    """The unified form, prefilled from the shared registries for the signed-in applicant;
    `?draft=<id>` resumes a saved draft, `?from=<case>` starts again from the answers of the
    applicant's own earlier case (a rejected one)."""
    scenario = _scenario(catalog, code)
    found = await _prefilled(catalog, scenario, registries, user)
    answers, resumed = await run_in_threadpool(_answers_of, session, user, code, draft, again)
    return _form_page(
        request,
        catalog,
        scenario,
        user,
        {**found.values, **answers},
        found.sources,
        found.fetched_materials,
        found.asked_materials,
        key=uuid.uuid4().hex,
        resumed=resumed,
    )


def _answers_of(
    session: SessionDep, user: User, scenario: str, draft_id: str, case_ref: str
) -> tuple[dict[str, Any], str | None]:
    """The answers a form starts from: a draft's, or an own case's of the same scenario."""
    if draft_id:
        found = draft_of(session, user, draft_id, scenario)
        if found is None:
            raise not_found()
        return dict(found.answers), "draft"
    if case_ref:
        try:
            case = view.own_case(session, case_ref, user)
        except NotFound:
            raise not_found() from None
        if case.scenario != scenario:
            raise not_found()
        return dict(case.form), "case"
    return {}, None


@router.post("/scenarios/{code}/apply")
async def apply(
    code: str,
    request: Request,
    user: Applicant,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    registries: RegistriesDep,
) -> Response:
    """The form's steps, by its button (`step`): "review" validates and shows the answers to
    check, "change" goes back to the form with them, "draft" keeps them as a draft, and
    "submit" (also a post without a step: a script) submits like POST /api/v1/cases. Every
    problem is shown at its field; the files of the materials asked are stored as uploads
    and ride along (as their ids) until the form is submitted."""
    scenario = _scenario(catalog, code)
    posted = await request.form()
    form: CompiledForm = compile_form(scenario.code, scenario.version, catalog)
    step = str(posted.get("step") or "submit")
    if step == "draft":
        return await _save_draft(request, user, session, catalog, registries, scenario, posted)
    data = read_form(form, posted)
    # The page's key (a random token made when the page rendered, `apply_page`) makes a
    # repeated submission (a double click, a reload, a browser retry) the same case; it
    # rides through the check of the answers.
    key = str(posted.get("idempotency_key") or "")[:128] or None
    flash = "submitted"
    spec = catalog.spec(scenario.code, scenario.version)
    assert spec is not None
    materials = list(material_sources(catalog, spec))  # the page asks for some of them
    documents, refused = await uploaded(request, session, settings, user, posted, materials)
    again = partial(
        _form_again, request, session, catalog, registries, scenario, user, posted, documents
    )
    if refused or step == "change":
        return await again(key, refused)
    try:
        assert user.id is not None
        if step == "review":
            validate_submission(
                catalog, code, data, applicant=identity_of(user).resident_id, documents=documents
            )
            return await _review_page(
                request, session, catalog, scenario, user, posted, documents, key
            )
        case, created = await submit(
            session,
            temporal,
            catalog,
            user.id,
            scenario.code,
            data,
            key,
            queues=settings.queues,
            registries=registries,
            identity=identity_of(user),
            documents=documents,
            recorded=submission_recorder(Auditor(request, session), user),
        )
    except StartDeferred as deferred:  # stored; the reconciler starts it within seconds
        case, created, flash = deferred.case, deferred.created, "queued"
    except SubmissionRejected as exc:
        # the same key while the form is corrected; a new one once the key was the problem
        return await again(key if exc.status_code == 422 else None, exc.problems)
    case_id, ref = case.id, case.number or case.id
    if not created:
        await run_in_threadpool(record_repeat, Auditor(request, session), user, case_id)
    await run_in_threadpool(drop_draft, session, user, scenario.code)
    return redirect(f"/cases/{ref}?msg={flash}")


async def _form_again(
    request: Request,
    session: SessionDep,
    catalog: Catalog,
    registries: RegistriesDep,
    scenario: Scenario,
    user: User,
    posted: FormData,
    documents: dict[str, list[str]],
    key: str | None,
    problems: list[Problem],
) -> Response:
    """The form again with what was posted, its problems and the files kept; `key` is the
    page's Idempotency-Key, a new one when None."""
    kept = await run_in_threadpool(kept_documents, session, user, documents)
    found = await _prefilled(catalog, scenario, registries, user)
    return _form_page(
        request,
        catalog,
        scenario,
        user,
        _raw(posted),
        found.sources,
        found.fetched_materials,
        found.asked_materials,
        key=key or uuid.uuid4().hex,
        problems=problems,
        kept=kept,
    )


async def _review_page(
    request: Request,
    session: SessionDep,
    catalog: Catalog,
    scenario: Scenario,
    user: User,
    posted: FormData,
    documents: dict[str, list[str]],
    key: str | None,
) -> Response:
    """The answers to check, by section, each with a button back to its field; the answers
    and the documents' ids ride in hidden inputs to the final submission."""
    form = compile_form(scenario.code, scenario.version, catalog)
    raw = _raw(posted)
    answered = [f.code for f in form.fields if raw.get(f.code) or f.type is FieldType.boolean]
    answers = [(c, raw[c]) for c in answered if c in raw]
    kept = await run_in_threadpool(kept_documents, session, user, documents)
    context = {
        "scenario": scenario,
        "key": key or uuid.uuid4().hex,
        "answers": answers,
        "sections": form_sections(catalog, form, raw, only=answered),
        "documents": [(m, catalog.materials[m].name, files) for m, files in kept.items() if files],
    }
    return render(request, "review.html", context, user=user)


async def _save_draft(
    request: Request,
    user: User,
    session: SessionDep,
    catalog: Catalog,
    registries: RegistriesDep,
    scenario: Scenario,
    posted: FormData,
) -> Response:
    """Keep the answers as typed (no validation, no files) and list the draft in My cases;
    a refused draft shows the form again with why."""
    form = compile_form(scenario.code, scenario.version, catalog)
    fields = [f.code for f in form.fields]
    try:
        await run_in_threadpool(save_draft, session, user, scenario.code, _raw(posted), fields)
    except DraftRefused as refused:
        problem = Problem(
            loc="draft", code="draft_refused", message=refused.message, fix=both("form.draft_fix")
        )
        key = str(posted.get("idempotency_key") or "")[:128] or None
        spec = catalog.spec(scenario.code, scenario.version)
        assert spec is not None
        kept = {
            m: [str(v) for v in posted.getlist(KEPT_PREFIX + m)]
            for m in material_sources(catalog, spec)
        }
        return await _form_again(
            request, session, catalog, registries, scenario, user, posted, kept, key, [problem]
        )
    return redirect("/cases?msg=draft_saved")


def _file_context(request: Request, problems: list[Problem]) -> dict[str, Any]:
    """What a page's file inputs show: the size limit, and the problems of refused files."""
    max_bytes = request.app.state.settings.document_max_bytes
    return {
        "max_mib": f"{max_bytes / 1024 / 1024:.1f}".removesuffix(".0"),
        "file_problems": {p.loc: p for p in problems if p.loc.startswith(FILE_PREFIX)},
    }


def _raw(posted: FormData) -> dict[str, Any]:
    """What the applicant typed, to show it again next to the problems."""
    return {k: v for k, v in posted.items() if isinstance(v, str)}


# -- cases ----------------------------------------------------------------------------------
@router.get("/cases")
def case_list(
    request: Request, user: Applicant, session: SessionDep, catalog: CatalogDep
) -> Response:
    """The applicant's own cases, newest first, each with whom it is about and whether it
    waits for the applicant; then the drafts to continue."""
    cases = view.list_cases(session, catalog, user)
    names = {s.code: s.name for s in catalog.latest_versions()}
    ids = [c.id for c in cases]
    forms = dict(session.exec(select(Case.id, Case.form).where(col(Case.id).in_(ids))).all())
    rows = [
        {
            "case": c,
            "subject": subject_of(catalog, c.scenario, forms.get(c.id) or {}),
            "action": action_needed(c),
        }
        for c in cases
    ]
    context = {
        "rows": rows,
        "names": names,
        "actions": sum(1 for row in rows if row["action"]),
        "drafts": drafts_of(session, user),
    }
    return render(request, "cases.html", context, user=user)


def _case_view(catalog: Catalog, case: CasePublic) -> dict[str, Any]:
    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    output_labels = {o.code: o.label for item in spec.items for o in item.outputs}
    return {
        "case": case,
        "scenario": catalog.scenario(case.scenario, case.scenario_version),
        "output_labels": output_labels,
        "item_names": {item.code: item.name for item in spec.items},
        "material_names": {code: m.name for code, m in catalog.materials.items()},
    }


def _case_page(
    request: Request,
    user: User,
    session: SessionDep,
    catalog: Catalog,
    case_id: str,
    problems: list[Problem] | None = None,
    values: dict[str, Any] | None = None,
    message: Any = None,
    status_code: int = 200,
) -> Response:
    with Auditor(request, session).watched(
        user, "case.view", "case", view.case_id_of(session, case_id)
    ):
        case = _visible(session, catalog, case_id, user)
    context = _case_view(catalog, case)
    form = compile_form(case.scenario, case.scenario_version, catalog)
    stored = session.get(Case, case.id)
    assert stored is not None
    supplements = []
    for item in case.items:
        if item.supplement is None:
            continue
        asked = list(item.supplement.get("fields", []))
        supplements.append(
            {
                "item": item,
                "request": item.supplement,
                "sections": form_sections(
                    catalog, form, {**stored.form, **(values or {})}, problems or [], only=asked
                ),
            }
        )
    own = stored.applicant_id == user.id
    context.update(
        subject=subject_of(catalog, case.scenario, stored.form),
        action=action_needed(case),
        rejection=rejection_of(session, catalog, case.id),
        again=own and case.status in AGAIN,
        supplements=supplements,
        problems=problems or [],
        message=message,
        can_withdraw=case.status.value in ("submitted", "running"),
        ref=case.number or case.id,
        certified=set(view.certified_outputs(session, case.id)) if own else set(),
        **_file_context(request, problems or []),
    )
    return render(request, "case.html", context, status_code, user)


@router.get("/cases/{case_id}/receipt.pdf")
async def receipt(
    case_id: str,
    request: Request,
    user: AnyUser,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
) -> Response:
    """The acceptance receipt, as GET /api/v1/cases/{ref}/receipt.pdf answers it."""
    audit = Auditor(request, session)
    audited = await run_in_threadpool(view.case_id_of, session, case_id)
    try:
        async with audit.awatched(user, "case.receipt", "case", audited):
            case, pdf = await paper.receipt_of(
                session, catalog, case_id, user, settings.resolved_public_url
            )
    except NotFound:
        raise not_found() from None
    return pdf_response(pdf, f"receipt-{case.number or case.id}.pdf")


@router.get("/cases/{case_id}/certificates/{output}.pdf")
async def certificate(
    case_id: str,
    output: str,
    request: Request,
    user: Applicant,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
) -> Response:
    """An issued output's certificate, as GET /api/v1/cases/{ref}/certificates/{output}.pdf."""
    audit = Auditor(request, session)
    audited = await run_in_threadpool(view.case_id_of, session, case_id)
    try:
        async with audit.awatched(user, "case.certificate", "case", audited, detail=output):
            case, pdf = await paper.certificate_of(
                session, catalog, case_id, output, user, settings.resolved_public_url
            )
    except NotFound:
        raise not_found() from None
    return pdf_response(pdf, f"certificate-{case.number or case.id}-{output}.pdf")


@router.get("/cases/{case_id}")
def case_page(
    case_id: str, request: Request, user: AnyUser, session: SessionDep, catalog: CatalogDep
) -> Response:
    """Status, items with their departments, outputs, measures, messages; a supplement form
    while an item waits for one; withdrawal while the case runs."""
    return _case_page(request, user, session, catalog, case_id)


@router.post("/cases/{case_id}/supplement")
async def supplement(
    case_id: str,
    request: Request,
    user: Applicant,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
    settings: SettingsDep,
) -> Response:
    """Answer a supplement request exactly as POST /api/v1/cases/{id}/supplement does: a
    file per material asked, stored as an upload and handed in with the answer."""
    posted = await request.form()
    item = str(posted.get("item") or "")
    case = await run_in_threadpool(_visible, session, catalog, case_id, user)
    asked = next((i.supplement for i in case.items if i.code == item and i.supplement), {})
    form = compile_form(case.scenario, case.scenario_version, catalog)
    documents, refused = await uploaded(
        request, session, settings, user, posted, list(asked.get("materials", []))
    )
    body = SupplementCreate(
        item=item,
        fields=read_form(form, posted, only=asked.get("fields", [])),
        materials=list(documents),
        documents=documents,
    )
    again = partial(_case_page, request, user, session, catalog, case_id)
    try:
        if refused:
            raise SubmissionRejected(refused)
        audit = Auditor(request, session)
        await applicant.supplement(audit, temporal, catalog, user, case_id, body)
    except SubmissionRejected as exc:
        return await run_in_threadpool(
            again, problems=exc.problems, values=_raw(posted), status_code=422
        )
    except CaseError as exc:
        return await run_in_threadpool(again, message=exc.message, status_code=status_of(exc))
    return redirect(f"/cases/{case.number or case.id}?msg=supplemented")


@router.post("/cases/{case_id}/withdraw")
async def withdraw(
    case_id: str,
    request: Request,
    user: Applicant,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
) -> Response:
    """Withdraw the case as POST /api/v1/cases/{id}/withdraw does."""
    posted = await request.form()
    reason = str(posted.get("reason") or "").strip()[:500] or "-"
    case = await run_in_threadpool(_visible, session, catalog, case_id, user)
    try:
        body = WithdrawCreate(reason=reason)
        await applicant.withdraw(Auditor(request, session), temporal, user, case_id, body)
    except CaseError as exc:
        again = partial(_case_page, request, user, session, catalog, case_id)
        return await run_in_threadpool(again, message=exc.message, status_code=status_of(exc))
    except ValidationError as exc:  # a control character in the reason
        problem = problems_from(exc.errors(), prefix=None)[0]
        message = Text(
            zh=f"撤回原因：{problem.message.zh}。{problem.fix.zh}",
            en=f"Reason: {problem.message.en}. {problem.fix.en}",
        )
        again = partial(_case_page, request, user, session, catalog, case_id)
        return await run_in_threadpool(again, message=message, status_code=422)
    return redirect(f"/cases/{case.number or case.id}?msg=withdrawn")


def _visible(session: SessionDep, catalog: Catalog, case_id: str, user: User) -> CasePublic:
    """The case through the API's own visibility rule; anything else is "not found"."""
    try:
        return view.visible_case(session, catalog, case_id, user)
    except NotFound:
        raise not_found() from None
