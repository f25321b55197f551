"""Submitting a case: validate, record it once, start its workflow once.

The order makes duplicates and crashes harmless: the case id is derived from the applicant's
Idempotency-Key (so a repeated request maps to the same case and workflow id), the row is
committed before the workflow starts, and starting an already started workflow is a no-op.
A row whose workflow never started (a crash in between) is started by `resume_unstarted`.
"""

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.models import CaseStatus
from catalog.loader import Catalog
from catalog.models import Text
from catalog.reform import reform_figures
from forms.messages import Problem
from forms.prefill import Identity, Prefilled, prefill
from forms.unified import FormInvalid, compile_form
from registries.base import RegistryAdapter
from store.models import Case, CaseItem
from workflows import case_workflow_id
from workflows.models import ScenarioInput
from workflows.queues import DEFAULT_QUEUES, TaskQueues
from workflows.scenario import ScenarioWorkflow

CASE_NAMESPACE = uuid.UUID("6f0b6a0e-5a43-4d52-9a55-0e60c0de0001")


class SubmissionRejected(Exception):
    """The request is invalid; nothing was created."""

    def __init__(self, problems: list[Problem], status_code: int = 422):
        self.problems = problems
        self.status_code = status_code
        super().__init__("; ".join(p.message.en for p in problems))


def unknown_scenario(code: str, catalog: Catalog) -> Problem:
    known = ", ".join(s.code for s in catalog.latest_versions())
    return Problem(
        loc="scenario",
        code="unknown_scenario",
        message=Text(zh=f"没有编码为 {code} 的一件事", en=f"There is no scenario '{code}'"),
        fix=Text(zh=f"可选：{known}", en=f"Use one of: {known}"),
    )


def _request_hash(scenario: str, form: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps([scenario, form], sort_keys=True, default=str).encode()
    ).hexdigest()


def validate_submission(
    catalog: Catalog, scenario: str, form: dict[str, Any], submitted_at: datetime | None = None
) -> ScenarioInput:
    """Validate a submission without side effects; raise `SubmissionRejected` with every problem.

    `submitted_at` defaults to now; a caller on another clock (the simulation on the
    time-skipping server) passes that clock's time, so elapsed days are measured on one clock.
    """
    spec = catalog.spec(scenario)
    if spec is None:
        raise SubmissionRejected([unknown_scenario(scenario, catalog)], 404)
    try:
        clean = compile_form(spec.code, spec.version, catalog).validate(form)
    except FormInvalid as exc:
        raise SubmissionRejected(exc.problems) from None
    return ScenarioInput(
        case_id="",
        spec=spec.applicable(clean),
        form=clean,
        submitted_at=submitted_at or datetime.now(UTC),
        calendar=catalog.calendar,
        review=catalog.review,
    )


def new_case(
    catalog: Catalog,
    applicant_id: int,
    workflow_input: ScenarioInput,
    idempotency_key: str | None,
    prefilled: Prefilled,
) -> tuple[Case, list[CaseItem], ScenarioInput]:
    """Build (not store) the case rows and workflow input for a validated submission."""
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
    )
    items = [
        CaseItem(
            case_id=case_id,
            item=item.code,
            position=index,
            department=item.department,
            mode=item.mode.value,
        )
        for index, item in enumerate(spec.items)
    ]
    return case, items, workflow_input.model_copy(update={"case_id": case_id})


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
    """Start the case's workflow; a workflow already started for this case is left as it is."""
    try:
        await client.start_workflow(
            ScenarioWorkflow.run,
            routed(workflow_input, queues),
            id=case_workflow_id(workflow_input.case_id),
            task_queue=queues.scenarios,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except WorkflowAlreadyStartedError:
        pass


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
) -> tuple[Case, bool]:
    """Submit one application; returns the case and whether this call created it.

    `registries` and `identity` decide which materials are fetched instead of asked.
    `submitted_at` defaults to now (see `validate_submission`).
    Database calls block, so they run in a thread: on the event loop they would stall every
    other request and, once the connection pool is taken, wait for a connection that only
    the stalled requests can give back.
    """
    existing = await asyncio.to_thread(
        find_existing, session, applicant_id, idempotency_key, scenario, form, catalog
    )
    if existing is None:
        workflow_input = validate_submission(catalog, scenario, form, submitted_at)
        prefilled = await prefill(catalog, workflow_input.spec, registries, identity or Identity())
        case, items, workflow_input = new_case(
            catalog, applicant_id, workflow_input, idempotency_key, prefilled
        )
        if await asyncio.to_thread(_store, session, case, items):
            await start_workflow(client, workflow_input, queues)
            await asyncio.to_thread(session.refresh, case)
            return case, True
        # The same key raced us to it.
        existing = await asyncio.to_thread(
            find_existing, session, applicant_id, idempotency_key, scenario, form, catalog
        )
        assert existing is not None
    if existing.status is CaseStatus.submitted:
        await start_workflow(client, workflow_input_of(catalog, existing), queues)
    return existing, False


def _store(session: Session, case: Case, items: list[CaseItem]) -> bool:
    """Commit a new case and its items; False if a case with its key exists already."""
    session.add(case)
    session.add_all(items)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def workflow_input_of(catalog: Catalog, case: Case) -> ScenarioInput:
    """Rebuild the workflow input of a stored case (its own scenario version)."""
    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    return ScenarioInput(
        case_id=case.id,
        spec=spec.applicable(case.form),
        form=case.form,
        submitted_at=case.submitted_at,
        calendar=catalog.calendar,
        review=catalog.review,
    )


async def resume_unstarted(
    session: Session, client: Client, catalog: Catalog, queues: TaskQueues = DEFAULT_QUEUES
) -> int:
    """Start the workflow of every case stored as submitted (crash between commit and start)."""
    pending = session.exec(select(Case).where(Case.status == CaseStatus.submitted)).all()
    for case in pending:
        await start_workflow(client, workflow_input_of(catalog, case), queues)
    return len(pending)
