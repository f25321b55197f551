"""Submitting a case: validate, record it once, start its workflow once.

The order makes duplicates and crashes harmless: the case id is derived from the applicant's
Idempotency-Key (so a repeated request maps to the same case and workflow id), the row is
committed before the workflow starts, and starting an already started workflow is a no-op.
A row whose workflow did not start (a crash in between, Temporal not answering within the
start's deadline: `StartDeferred`) is started by the API's reconciler (cases/reconciler.py).
"""

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from cases.trail import Trail
from catalog.calendar import CHINA_TZ
from catalog.loader import Catalog
from catalog.models import ScenarioSpec
from catalog.reform import material_sources, reform_figures
from documents.limits import DocumentRefused
from documents.records import attach, case_documents
from domain.queues import DEFAULT_QUEUES, TaskQueues
from domain.statuses import CaseStatus
from domain.text import Text
from forms.messages import Problem
from forms.prefill import Identity, Prefilled, prefill
from forms.unified import FormInvalid, compile_form
from registries.base import RegistryAdapter
from runtime.temporal import TemporalUnavailable, deadline, deadlines
from store.case_numbers import allocate_case_number
from store.db import commit_keeping_values
from store.models import ITEM, Case, User
from workflows import case_workflow_id
from workflows.models import ScenarioInput
from workflows.scenario import ScenarioWorkflow
from workflows.search_attributes import at_start

CASE_NAMESPACE = uuid.UUID("6f0b6a0e-5a43-4d52-9a55-0e60c0de0001")
IDEMPOTENCY_KEY_MAX = 128
DOCUMENTS_PER_MATERIAL = 20
# material -> ids of the uploads (documents/) handed in as that material
Documents = dict[str, list[str]]
ItemRow = dict[str, Any]  # a case item as first stored, for `insert_case`
# called with a new case inside its transaction (`submission_recorder`)
Recorder = Callable[[Case], None]
log = logging.getLogger("onego.submission")


class SubmissionRejected(Exception):
    """The request is invalid; nothing was created."""

    def __init__(self, problems: list[Problem], status_code: int = 422):
        self.problems = problems
        self.status_code = status_code
        super().__init__("; ".join(p.message.en for p in problems))


class StartDeferred(Exception):
    """The case is stored, but Temporal did not start its workflow within the deadline: the
    reconciler (cases/reconciler.py) starts it within seconds. The caller answers 202."""

    def __init__(self, case: Case, created: bool):
        self.case = case
        self.created = created
        super().__init__(f"case {case.id} stored; its workflow starts later")


def checked_key(key: str | None) -> str | None:
    """The Idempotency-Key as given, or None when there is none; a blank one, one longer
    than 128 characters or one with control characters is refused (400, nothing stored)."""
    if key is None:
        return None
    if key.strip() and len(key) <= IDEMPOTENCY_KEY_MAX and key.isprintable():
        return key
    raise SubmissionRejected(
        [
            Problem(
                loc="header.Idempotency-Key",
                code="invalid_idempotency_key",
                message=Text(
                    zh="Idempotency-Key 不能为空、不能只含空白或控制字符，且不超过 128 个字符",
                    en="The Idempotency-Key header may not be blank, hold control characters "
                    "or be longer than 128 characters",
                ),
                fix=Text(
                    zh="每份新申请使用一个新的随机值（如 UUID），或不发送该请求头",
                    en="Send a new random value (a UUID) per application, or no header at all",
                ),
            )
        ],
        400,
    )


def unknown_scenario(code: str, catalog: Catalog) -> Problem:
    known = ", ".join(s.code for s in catalog.latest_versions())
    return Problem(
        loc="scenario",
        code="unknown_scenario",
        message=Text(zh=f"没有编码为 {code} 的一件事", en=f"There is no scenario '{code}'"),
        fix=Text(zh=f"可选：{known}", en=f"Use one of: {known}"),
    )


def checked_documents(catalog: Catalog, spec: ScenarioSpec, documents: Documents) -> Documents:
    """The documents map without empty entries; SubmissionRejected (422) for a material the
    scenario does not take from the applicant or too many ids for one material (whether
    the ids are the applicant's own uploads is checked as they are attached)."""
    takes = material_sources(catalog, spec)
    problems = [
        Problem(
            loc=f"documents.{material}",
            code="unknown_material",
            message=Text(
                zh=f"本事项不收取材料 {material}", en=f"This scenario takes no material {material}"
            ),
            fix=Text(zh=f"可提交的材料：{', '.join(takes)}", en=f"Use one of: {', '.join(takes)}"),
        )
        for material in documents
        if material not in takes
    ] + [
        Problem(
            loc=f"documents.{material}",
            code="too_many_documents",
            message=Text(
                zh=f"材料 {material} 最多 {DOCUMENTS_PER_MATERIAL} 份文件",
                en=f"At most {DOCUMENTS_PER_MATERIAL} documents per material",
            ),
            fix=Text(zh="请合并为一个 PDF 文件", en="Combine them into one PDF"),
        )
        for material, ids in documents.items()
        if len(ids) > DOCUMENTS_PER_MATERIAL
    ]
    if problems:
        raise SubmissionRejected(problems)
    return {material: list(dict.fromkeys(ids)) for material, ids in documents.items() if ids}


def _request_hash(scenario: str, form: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps([scenario, form], sort_keys=True, default=str).encode()
    ).hexdigest()


def validate_submission(
    catalog: Catalog,
    scenario: str,
    form: dict[str, Any],
    submitted_at: datetime | None = None,
    applicant: str | None = None,
    documents: Documents | None = None,
) -> ScenarioInput:
    """Validate a submission without side effects; raise `SubmissionRejected` with every problem.

    `submitted_at` defaults to now; a caller on another clock (the simulation on the
    time-skipping server) passes that clock's time, so elapsed days are measured on one clock.
    `applicant` is the account's verified resident ID: the scenario's `applicant_is` fields
    must name it (forms/rules.py). `documents`: material -> ids of the applicant's uploads.
    """
    spec = catalog.spec(scenario)
    if spec is None:
        raise SubmissionRejected([unknown_scenario(scenario, catalog)], 404)
    try:
        clean = compile_form(spec.code, spec.version, catalog).validate(form, applicant)
    except FormInvalid as exc:
        raise SubmissionRejected(exc.problems) from None
    applicable = spec.applicable(clean)
    return ScenarioInput(
        case_id="",
        spec=applicable,
        form=clean,
        submitted_at=submitted_at or datetime.now(UTC),
        calendar=catalog.calendar,
        review=catalog.review,
        documents=checked_documents(catalog, applicable, documents or {}),
    )


def new_case(
    catalog: Catalog,
    applicant_id: int,
    workflow_input: ScenarioInput,
    idempotency_key: str | None,
    prefilled: Prefilled,
) -> tuple[Case, list[ItemRow], ScenarioInput]:
    """Build (not store) the case row, its item rows and the workflow input for a validated
    submission."""
    spec, clean = workflow_input.spec, workflow_input.form
    case_id = str(
        uuid.uuid5(CASE_NAMESPACE, f"{applicant_id}/{idempotency_key}")
        if idempotency_key
        else uuid.uuid4()
    )
    figures = reform_figures(catalog, spec)
    case = Case(
        id=case_id,
        scenario=spec.code,
        scenario_version=spec.version,
        applicant_id=applicant_id,
        idempotency_key=idempotency_key,
        request_hash=_request_hash(spec.code, clean),
        form=clean,
        submitted_at=workflow_input.submitted_at,
        materials_baseline=figures.materials_baseline,
        materials_provided=len(prefilled.asked_materials),
        fields_baseline=figures.fields_baseline,
        fields_typed=figures.fields_asked + figures.fields_prefilled - len(prefilled.values),
        baseline_days=figures.baseline_days,
        undone=[],  # given: a default factory costs pydantic a signature inspection
    )
    items = new_items(case_id, spec)
    return case, items, workflow_input.model_copy(update={"case_id": case_id})


def new_items(case_id: str, spec: ScenarioSpec) -> list[ItemRow]:
    """The item rows a new case of `spec` (its items that apply) stores."""
    return [
        {
            "case_id": case_id,
            "item": item.code,
            "position": index,
            "department": item.department,
            "mode": item.mode.value,
            "outputs": {},
        }
        for index, item in enumerate(spec.items)
    ]


def insert_case(session: Session, case: Case, items: list[ItemRow]) -> None:
    """Add a new case and its items to `session`'s transaction. The items go in one Core
    statement: building a SQLModel object costs more than its insert (about 0.3 ms each)."""
    session.add(case)
    session.flush()
    session.connection().execute(ITEM.insert(), items)


def find_existing(
    session: Session,
    applicant_id: int,
    idempotency_key: str | None,
    scenario: str,
    form: dict[str, Any],
    catalog: Catalog | None = None,
) -> Case | None:
    """The case an earlier request with the same key created, if any."""
    if not idempotency_key:
        return None
    case = session.exec(
        select(Case).where(
            Case.applicant_id == applicant_id, Case.idempotency_key == idempotency_key
        )
    ).first()
    if case is not None and case.request_hash != _request_hash(
        case.scenario, _clean(form, case, catalog)
    ):
        raise SubmissionRejected(
            [
                Problem(
                    loc="header.Idempotency-Key",
                    code="idempotency_key_reused",
                    message=Text(
                        zh="该幂等键已用于另一份不同的申请",
                        en="This Idempotency-Key was used for a different application",
                    ),
                    fix=Text(
                        zh="新申请请使用新的 Idempotency-Key",
                        en="Use a new key for a new application",
                    ),
                )
            ],
            409,
        )
    return case


def _clean(form: dict[str, Any], case: Case, catalog: Catalog | None) -> dict[str, Any]:
    try:
        return compile_form(case.scenario, case.scenario_version, catalog).validate(form)
    except FormInvalid:
        return form


def routed(workflow_input: ScenarioInput, queues: TaskQueues) -> ScenarioInput:
    """The input with each item's activities sent to its department's queue in `queues`."""
    spec = workflow_input.spec
    items = [
        item.model_copy(update={"task_queue": queues.department(item.department)})
        for item in spec.items
    ]
    return workflow_input.model_copy(update={"spec": spec.model_copy(update={"items": items})})


async def start_workflow(
    client: Client, workflow_input: ScenarioInput, queues: TaskQueues = DEFAULT_QUEUES
) -> None:
    """Start the case's workflow; a workflow already started for this case is left as it is.
    `TemporalUnavailable` past the start's deadline (`runtime.temporal.deadlines`): the start
    may or may not have been made, and repeating it is harmless."""
    seconds = deadlines().call_s
    try:
        async with deadline(seconds):
            await client.start_workflow(
                ScenarioWorkflow.run,
                routed(workflow_input, queues),
                search_attributes=at_start(workflow_input.spec),
                id=case_workflow_id(workflow_input.case_id),
                task_queue=queues.scenarios,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                rpc_timeout=timedelta(seconds=seconds),
            )
    except WorkflowAlreadyStartedError:
        pass


async def _start_or_defer(
    client: Client, workflow_input: ScenarioInput, queues: TaskQueues, case: Case, created: bool
) -> None:
    """Start a stored case's workflow, or raise `StartDeferred` for the reconciler."""
    try:
        await start_workflow(client, workflow_input, queues)
    except (TemporalUnavailable, RPCError) as err:
        log.warning("case %s stored, its workflow not started yet: %s", case.id, err)
        raise StartDeferred(case, created) from err


async def submit(
    session: Session,
    client: Client,
    catalog: Catalog,
    applicant_id: int,
    scenario: str,
    form: dict[str, Any],
    idempotency_key: str | None = None,
    queues: TaskQueues = DEFAULT_QUEUES,
    registries: RegistryAdapter | None = None,
    identity: Identity | None = None,
    submitted_at: datetime | None = None,
    documents: Documents | None = None,
    recorded: Recorder | None = None,
) -> tuple[Case, bool]:
    """Submit one application; returns the case and whether this call created it.

    `registries` and `identity` decide which materials are fetched instead of asked.
    `submitted_at` defaults to now (see `validate_submission`). `documents` (material -> ids
    of the applicant's uploads) are attached to the case in its transaction; an id that is
    not the applicant's unused upload rejects the submission (422, nothing stored).
    `recorded` is called with a new case in its transaction (`submission_recorder`: the
    audit row commits with the case; a repeated request is recorded by `record_repeat`).
    Database calls block, so they run in a thread: on the event loop they would stall every
    other request and, once the connection pool is taken, wait for a connection that only
    the stalled requests can give back.
    A blank or overlong key is refused (`checked_key`); a case stored whose workflow Temporal
    did not start in time raises `StartDeferred` (stored, started by the reconciler).
    """
    idempotency_key = checked_key(idempotency_key)

    async def earlier() -> Case | None:
        return await asyncio.to_thread(
            find_existing, session, applicant_id, idempotency_key, scenario, form, catalog
        )

    # A new submission is the common case: it is stored without looking for an earlier one
    # first; a key used before shows as the case's id (derived from the key) already taken.
    try:
        workflow_input = validate_submission(
            catalog, scenario, form, submitted_at, (identity or Identity()).resident_id, documents
        )
    except SubmissionRejected:
        # A repeat of an accepted form that would no longer pass (the catalog or the
        # account changed since) still answers its case.
        existing = await earlier() if idempotency_key else None
        if existing is None:
            raise
    else:
        prefilled = await prefill(catalog, workflow_input.spec, registries, identity or Identity())
        case, items, workflow_input = new_case(
            catalog, applicant_id, workflow_input, idempotency_key, prefilled
        )
        stored = await asyncio.to_thread(
            _store, session, case, items, workflow_input.documents, recorded
        )
        if stored:
            await _start_or_defer(client, workflow_input, queues, case, True)
            return case, True
        existing = await earlier()  # the key's case: an earlier request, or one racing us
        assert existing is not None
    if existing.status is CaseStatus.submitted:
        documents = await asyncio.to_thread(form_documents, session, existing.id)
        workflow_input = workflow_input_of(catalog, existing, documents)
        await _start_or_defer(client, workflow_input, queues, existing, False)
    return existing, False


def _store(
    session: Session,
    case: Case,
    items: list[ItemRow],
    documents: Documents,
    recorded: Recorder | None = None,
) -> bool:
    """Commit a new case, its items, its documents, its number and what `recorded` adds (the
    audit row) in one transaction; False if a case with its key exists already. The number is
    allocated last: its day's counter row stays locked until the commit
    (store/case_numbers.py). The case keeps its values after the commit (nothing to reload)."""
    try:
        insert_case(session, case, items)
        for material, ids in documents.items():
            attach(session, case.applicant_id, ids, case.id, material=material)
        day = case.submitted_at.astimezone(CHINA_TZ).date()
        case.number = allocate_case_number(session, day)
        if recorded is not None:
            recorded(case)
        commit_keeping_values(session)
    except IntegrityError:
        session.rollback()
        return False
    except DocumentRefused as refused:
        session.rollback()
        raise SubmissionRejected([refused.problem], refused.status) from None
    return True


def workflow_input_of(
    catalog: Catalog, case: Case, documents: Documents | None = None
) -> ScenarioInput:
    """Rebuild the workflow input of a stored case (its own scenario version) and the
    documents of its form (`form_documents`)."""
    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    return ScenarioInput(
        case_id=case.id,
        spec=spec.applicable(case.form),
        form=case.form,
        submitted_at=case.submitted_at,
        calendar=catalog.calendar,
        review=catalog.review,
        documents=documents or {},
    )


def form_documents(session: Session, case_id: str) -> Documents:
    """The documents handed in with a stored case's form, by material."""
    documents: Documents = {}
    for document in case_documents(session, case_id):
        if document.item is None and document.material:
            documents.setdefault(document.material, []).append(document.id)
    return documents


def submission_recorder(trail: Trail, user: User) -> Recorder:
    """`submit`'s `recorded`: the submission's audit row (case.submit), written in the new
    case's own transaction."""
    return lambda case: trail.add(user, "case.submit", object_type="case", object_id=case.id)


def record_repeat(trail: Trail, user: User, case_id: str) -> None:
    """Record a repeated Idempotency-Key in the trail (case.submit, detail `repeated`)."""
    trail.record(user, "case.submit", object_type="case", object_id=case_id, detail="repeated")
