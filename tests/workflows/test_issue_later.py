"""Department systems that take time (card production, a nightly batch): the department
accepts at once and names when it will issue; the workflow waits on a durable timer and asks
again then. On the time-skipping server, with the read model and the department ledger."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from cases.submission import submit
from catalog.loader import get_catalog
from domain.statuses import CaseStatus, ItemStatus
from runtime.settings import Settings
from store.models import CaseItem, Role, SimulatedIssue
from store.users import add_user
from tests.conftest import Workers
from tests.helpers import newborn_form, unique, wait_until
from workflows import case_workflow_id
from workflows.models import ClaimInput, DecideInput, Decision, ItemRequest
from workflows.scenario import ScenarioWorkflow

pytestmark = pytest.mark.timeout(120)
# Working days each slow system takes from the first request; the other items issue at once.
SLOW = {"social_security_card": 2.5, "maternity_allowance": 1.25}


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """SQLite alone: the read model on PostgreSQL is written end to end in test_scenario.py,
    and store/case_writes.py is tested on both backends in tests/store/test_cases.py."""
    return sqlite_engine


async def test_an_item_issued_later_waits_on_a_timer_and_is_issued_once(
    time_skipping_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    calendar = get_catalog().calendar
    asked: dict[str, list[datetime]] = {code: [] for code in SLOW}

    def ready(request: ItemRequest, at: datetime) -> datetime | None:
        if request.item not in SLOW:
            return None
        asked[request.item].append(at)
        return calendar.add_working_days(at, SLOW[request.item])

    env = time_skipping_env
    async with Workers(env.client, engine, settings, ready):
        with Session(engine) as session:
            applicant = add_user(session, unique("applicant"), "pw", Role.applicant)
            assert applicant.id is not None
            case, _ = await submit(
                session,
                env.client,
                get_catalog(),
                applicant.id,
                "newborn",
                newborn_form(),
                queues=settings.queues,
            )
        handle = env.client.get_workflow_handle_for(ScenarioWorkflow.run, case_workflow_id(case.id))

        def item(code: str) -> CaseItem:
            with Session(engine) as session:
                return session.exec(
                    select(CaseItem).where(CaseItem.case_id == case.id, CaseItem.item == code)
                ).one()

        # The maternity allowance needs only the birth certificate: it is accepted, not done.
        await wait_until(lambda: asked["maternity_allowance"], what="allowance asked")
        assert item("maternity_allowance").status is ItemStatus.pending
        await wait_until(lambda: item("household_registration").opened_at, what="task opened")
        police = {"item": "household_registration", "department": "public-security"}
        await handle.execute_update(ScenarioWorkflow.claim, ClaimInput(clerk="clerk-a", **police))
        await handle.execute_update(
            ScenarioWorkflow.decide,
            DecideInput(clerk="clerk-a", decision=Decision.approve, **police),
        )
        # A handle got by id does not skip time while awaited: skip past both timers.
        await env.sleep(timedelta(days=5))
        result = await handle.result()

    assert result.status is CaseStatus.completed
    for code, days in SLOW.items():
        first, *again = asked[code]
        assert again == [], f"{code}: the time is drawn once, at the first request"
        row = item(code)
        assert row.status is ItemStatus.done
        # Asked when its inputs were ready, done when the department said it would issue.
        assert abs(row.started_at - first) < timedelta(seconds=5)
        assert row.completed_at >= calendar.add_working_days(first, days)
        assert row.elapsed_days == pytest.approx(days, abs=0.01)
        with Session(engine) as session:
            issue = session.exec(
                select(SimulatedIssue).where(
                    SimulatedIssue.case_id == case.id, SimulatedIssue.item == code
                )
            ).one()
        assert issue.ready_at == calendar.add_working_days(first, days)
        assert row.outputs == issue.outputs and row.outputs
        assert all(result.outputs[k] == v for k, v in issue.outputs.items())

    # In the history: the card asked twice (accepted, then issued) with a timer between.
    card = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            kind = event.activity_task_scheduled_event_attributes.activity_type.name
            card += ["asked"] if kind == "issue_social_security_card" else []
        elif event.event_type == EventType.EVENT_TYPE_TIMER_STARTED and card == ["asked"]:
            card.append("timer")
    assert card == ["asked", "timer", "asked"]
