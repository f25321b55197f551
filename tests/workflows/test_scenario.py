"""ScenarioWorkflow end to end on the time-skipping server, with every department worker and
the read model on each backend: dependency order from the history. The update validators,
rejection and the rest run in seconds in tests/workflows/fast/, on fake activities."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from cases.submission import submit
from catalog.loader import get_catalog
from catalog.models import ScenarioSpec
from domain.statuses import CaseStatus, ItemStatus
from runtime.settings import Settings
from store.models import Role
from store.users import add_user
from tests.conftest import Workers
from tests.helpers import newborn_form, unique, wait_until
from workflows import case_workflow_id
from workflows.models import ClaimInput, DecideInput, Decision
from workflows.scenario import ScenarioWorkflow

pytestmark = pytest.mark.timeout(60)


@dataclass
class Running:
    handle: WorkflowHandle
    case_id: str
    spec: ScenarioSpec


@pytest.fixture
async def case(
    time_skipping_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> AsyncIterator[Running]:
    """A newborn case submitted as the API does, with its workers running."""
    client = time_skipping_env.client
    catalog = get_catalog()
    async with Workers(client, engine, settings):
        with Session(engine) as session:
            applicant = add_user(session, unique("applicant"), "pw", Role.applicant)
            assert applicant.id is not None
            row, created = await submit(
                session,
                client,
                catalog,
                applicant.id,
                "newborn",
                newborn_form(),
                queues=settings.queues,
            )
        assert created
        spec = catalog.spec(row.scenario, row.scenario_version)
        assert spec is not None
        handle = client.get_workflow_handle_for(ScenarioWorkflow.run, case_workflow_id(row.id))
        yield Running(handle, row.id, spec)


async def awaiting_review(handle: WorkflowHandle, item: str = "household_registration") -> None:
    async def waiting() -> bool:
        progress = await handle.query(ScenarioWorkflow.progress)
        return progress.items[item].status is ItemStatus.awaiting_review

    await wait_until(waiting, timeout=20, what=f"{item} awaiting review")


CLERK = {"clerk": "clerk-public-security", "department": "public-security"}


def decision(item: str = "household_registration", **changes: object) -> DecideInput:
    values: dict[str, object] = {"item": item, "decision": Decision.approve, **CLERK, **changes}
    return DecideInput.model_validate(values)


async def claim(handle: WorkflowHandle, item: str = "household_registration") -> None:
    await handle.execute_update(ScenarioWorkflow.claim, ClaimInput(item=item, **CLERK))


async def approve(handle: WorkflowHandle) -> None:
    await claim(handle)
    await handle.execute_update(ScenarioWorkflow.decide, decision())


async def test_items_run_in_dependency_order_and_in_parallel(case: Running) -> None:
    await awaiting_review(case.handle)
    await approve(case.handle)
    result = await case.handle.result()
    assert result.status is CaseStatus.completed
    assert len(result.outputs) == 11

    scheduled: dict[str, int] = {}  # activity type -> ActivityTaskScheduled event id
    completed: dict[str, int] = {}  # activity type -> ActivityTaskCompleted event id
    by_scheduled_id: dict[int, str] = {}
    history = await case.handle.fetch_history()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            assert name not in scheduled, f"{name} scheduled twice"
            scheduled[name] = event.event_id
            by_scheduled_id[event.event_id] = name
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attributes = event.activity_task_completed_event_attributes
            completed[by_scheduled_id[attributes.scheduled_event_id]] = event.event_id

    activity = {item.code: item.activity for item in case.spec.items}
    assert set(scheduled) == set(completed) == set(activity.values())
    for item in case.spec.items:
        for required in item.requires:
            assert scheduled[item.activity] > completed[activity[required]], (
                f"{item.code} was scheduled before {required} completed"
            )
    # The two data dependencies the issue names, spelled out.
    assert scheduled["register_household"] > completed["issue_birth_certificate"]
    assert scheduled["enrol_medical_insurance"] > completed["register_household"]
    assert scheduled["collect_insurance_premium"] > completed["enrol_medical_insurance"]

    # Independent items overlap: some pair was scheduled before either of them completed.
    overlapping = [
        (a, b)
        for a in scheduled
        for b in scheduled
        if a < b and max(scheduled[a], scheduled[b]) < min(completed[a], completed[b])
    ]
    assert ("issue_birth_certificate", "register_childbirth") in overlapping
    assert len(overlapping) >= 3, overlapping
