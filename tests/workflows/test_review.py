"""Department review end to end on the time-skipping server, with every department worker and
the read model: the SLA clock and its notifications, a supplement's figures as the applicant
reads them from the API, a rejection's compensation in the departments' ledger. Claims,
validators, expired supplements and withdrawal run in seconds in tests/workflows/fast/."""

import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from cases.submission import submit
from catalog.calendar import CHINA_TZ, WorkCalendar
from catalog.loader import Catalog, get_catalog
from domain.statuses import CaseStatus, EventKind, ItemStatus
from runtime.settings import Settings
from store.models import Audience, Case, CaseEvent, CaseItem, Notification, Role, SimulatedIssue
from store.users import add_user
from tests.conftest import TEST_CONVERTER, Workers
from tests.helpers import newborn_form, running_api, unique, wait_until
from tests.workflows.fast.harness import next_thursday_10am
from workflows import case_workflow_id
from workflows.models import (
    ClaimInput,
    DecideInput,
    Decision,
    SupplementInput,
    SupplementRequest,
)
from workflows.scenario import ScenarioWorkflow

pytestmark = pytest.mark.timeout(90)
REVIEWED = "household_registration"
POLICE = "public-security"
DAY = timedelta(days=1)


@dataclass
class Case_:
    env: WorkflowEnvironment
    engine: Engine
    handle: WorkflowHandle
    case_id: str
    calendar: WorkCalendar
    applicant: str = ""

    def item(self, code: str = REVIEWED) -> CaseItem:
        with Session(self.engine) as session:
            return session.exec(
                select(CaseItem).where(CaseItem.case_id == self.case_id, CaseItem.item == code)
            ).one()

    def case(self) -> Case:
        with Session(self.engine) as session:
            found = session.get(Case, self.case_id)
            assert found is not None
            return found

    def events(self, kind: EventKind) -> list[CaseEvent]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(CaseEvent).where(
                        CaseEvent.case_id == self.case_id, CaseEvent.kind == kind
                    )
                )
            )

    async def opened(self) -> datetime:
        row = await wait_until(lambda: (r := self.item()).opened_at and r, what="task opened")
        assert row.status is ItemStatus.awaiting_review
        return row.opened_at

    async def claim(self, clerk: str, **extra: object) -> None:
        await self.handle.execute_update(
            ScenarioWorkflow.claim,
            ClaimInput(item=REVIEWED, clerk=clerk, department=POLICE, **extra),
        )

    async def decide(self, clerk: str, decision: Decision, **extra: object) -> None:
        await self.handle.execute_update(
            ScenarioWorkflow.decide,
            DecideInput(item=REVIEWED, clerk=clerk, department=POLICE, decision=decision, **extra),
        )


class Starter:
    """Starts newborn cases on a calendar the test chooses."""

    def __init__(self, env: WorkflowEnvironment, engine: Engine, settings: Settings):
        self.env, self.engine, self.settings = env, engine, settings

    async def __call__(self, holidays: frozenset[date] = frozenset()) -> Case_:
        calendar = WorkCalendar(holidays=holidays)
        catalog: Catalog = copy.copy(get_catalog())
        catalog.calendar = calendar
        with Session(self.engine) as session:
            applicant = add_user(session, unique("applicant"), "pw", Role.applicant)
            assert applicant.id is not None
            username = applicant.username
            row, _ = await submit(
                session,
                self.env.client,
                catalog,
                applicant.id,
                "newborn",
                newborn_form(),
                queues=self.settings.queues,
            )
        handle = self.env.client.get_workflow_handle_for(
            ScenarioWorkflow.run, case_workflow_id(row.id)
        )
        return Case_(self.env, self.engine, handle, row.id, calendar, username)


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """SQLite alone: the read model on PostgreSQL is written end to end in test_scenario.py,
    and store/case_writes.py is tested on both backends in tests/store/test_cases.py."""
    return sqlite_engine


@pytest.fixture
async def start_case(
    time_skipping_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> AsyncIterator[Starter]:
    """Start cases with every worker running."""
    async with Workers(time_skipping_env.client, engine, settings):
        yield Starter(time_skipping_env, engine, settings)


async def test_reminder_escalation_and_breach_across_a_weekend_and_a_holiday(start_case):
    """Opened Thursday 10:00; promised 3 working days, reminder at 80 % (2.4 days); Saturday,
    Sunday and Monday (a holiday) do not count: reminder Tuesday 19:36, breach Wednesday 10:00."""
    thursday = await next_thursday_10am(start_case.env)
    monday = thursday.date() + timedelta(days=4)
    case = await start_case(holidays=frozenset({monday}))
    opened = await case.opened()
    assert opened - thursday < timedelta(minutes=1)

    await case.env.sleep(timedelta(days=7))
    reminder, escalation = case.events(EventKind.reminder), case.events(EventKind.escalation)
    assert len(reminder) == 1 and len(escalation) == 1
    expected_reminder = opened + timedelta(days=5, hours=9, minutes=36)  # Tuesday 19:36
    expected_breach = opened + timedelta(days=6)  # Wednesday 10:00
    assert abs(reminder[0].at - expected_reminder) < timedelta(seconds=2)
    assert abs(escalation[0].at - expected_breach) < timedelta(seconds=2)
    assert reminder[0].at.astimezone(CHINA_TZ).weekday() == 1  # Tuesday
    row = case.item()
    assert row.breached and row.escalated_at is not None and row.reminded_at is not None
    with Session(case.engine) as session:
        told = {
            (n.kind, n.audience, n.department)
            for n in session.exec(select(Notification).where(Notification.case_id == case.case_id))
        }
    assert (EventKind.reminder, Audience.department, POLICE) in told
    assert (EventKind.escalation, Audience.supervisor, POLICE) in told

    await case.claim("clerk-a")
    await case.decide("clerk-a", Decision.approve)
    result = await case.handle.result()
    assert result.status is CaseStatus.completed
    done = case.case()
    assert done.breaches == 1 and done.applicant_days == 0
    # Decided 7 calendar days after opening: Thu 14 h, Fri, Tue, Wed, Thu 10 h = 4 working days.
    assert done.department_days == pytest.approx(4.0, abs=1e-3)


async def test_supplement_stops_the_clock_for_exactly_the_applicants_time(start_case):
    await next_thursday_10am(start_case.env)
    case = await start_case()
    opened = await case.opened()
    await case.env.sleep(timedelta(hours=2))  # Thursday 12:00
    await case.claim("clerk-a")
    await case.decide(
        "clerk-a",
        Decision.supplement,
        supplement=SupplementRequest(
            fields=["household_address"], note="门牌号缺失 / the house number is missing"
        ),
    )
    await wait_until(lambda: case.item().status is ItemStatus.awaiting_supplement)
    asked = case.item().supplement
    assert asked["fields"] == ["household_address"] and "deadline" in asked

    with pytest.raises(WorkflowUpdateFailedError) as refused:  # must answer exactly that
        await case.handle.execute_update(
            ScenarioWorkflow.supplement,
            SupplementInput(item=REVIEWED, fields={"household_head_name": "王强"}),
        )
    assert refused.value.cause.type == "SupplementMismatch"

    await case.env.sleep(timedelta(days=3))  # Sunday 12:00: 1.5 working days of applicant time
    await case.handle.execute_update(
        ScenarioWorkflow.supplement,
        SupplementInput(
            item=REVIEWED, fields={"household_address": "重庆市渝中区解放碑街道民族路100号2-1"}
        ),
    )
    await wait_until(lambda: case.item().status is ItemStatus.awaiting_review)
    await case.env.sleep(DAY)  # Monday 12:00: the clock ran again for half a working day
    await case.decide("clerk-a", Decision.approve)
    result = await case.handle.result()

    assert result.status is CaseStatus.completed
    row = case.item()
    assert row.applicant_days == pytest.approx(1.5, abs=1e-3)
    assert row.department_days == pytest.approx(2 / 24 + 0.5, abs=1e-3)
    assert not row.breached and not case.events(EventKind.reminder)
    # The limit moved by the applicant's time: Thursday 10:00 + 3 + 1.5 working days.
    # (The steps between sleeps take real seconds on a loaded machine: allow a minute.)
    assert abs(row.due_at - case.calendar.add_working_days(opened, 4.5)) < timedelta(minutes=1)
    assert case.case().applicant_days == pytest.approx(1.5, abs=1e-3)
    assert result.outputs["citizen_id"]
    # The applicant reads the same figures from the API.
    async with running_api(
        start_case.settings, case.env.client, case.engine, reconcile=False
    ) as api:
        response = await api.http.get(
            f"/api/v1/cases/{case.case_id}", headers=await api.login(case.applicant, "pw")
        )
    measures = response.json()["measures"]
    assert measures["applicant_days"] == pytest.approx(1.5, abs=1e-3)
    assert measures["department_days"] == pytest.approx(2 / 24 + 0.5, abs=1e-3)
    assert measures["breaches"] == 0


COMPENSABLE = {
    "register_childbirth": "childbirth_registration",
    "reimburse_maternity_expenses": "maternity_medical_reimbursement",
    "pay_maternity_allowance": "maternity_allowance",
    "register_childcare_subsidy": "childcare_subsidy",
}


async def _saga(handle: WorkflowHandle) -> tuple[list[str], list[str]]:
    """From the history: compensable items in completion order, and the items whose
    `revoke_issue` was scheduled, in scheduling order."""
    scheduled: dict[int, str] = {}
    completed, revoked = [], []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = attrs.activity_type.name
            if attrs.activity_type.name == "revoke_issue":
                # sealed by the payload codec: decode with the session's key ring
                [arg] = await TEST_CONVERTER.decode([attrs.input.payloads[0]], [dict])
                revoked.append(arg["item"])
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            name = scheduled[event.activity_task_completed_event_attributes.scheduled_event_id]
            if name in COMPENSABLE:
                completed.append(COMPENSABLE[name])
    return completed, revoked


def _done(case: Case_) -> set[str]:
    return {e.item for e in case.events(EventKind.done)} & set(COMPENSABLE.values())


async def test_rejection_compensates_done_items_in_reverse_order(start_case):
    case = await start_case()
    await case.opened()
    await wait_until(lambda: len(_done(case)) == 3, what="three compensable items done")
    await case.claim("clerk-a")
    await case.decide(
        "clerk-a",
        Decision.reject,
        reason_code="materials_inconsistent",
        reason="出生医学证明与户口簿信息不一致",
    )
    result = await case.handle.result()

    assert result.status is CaseStatus.rejected
    done, revoked = await _saga(case.handle)
    assert len(done) == 3 and result.undone == list(reversed(done)) == revoked
    with Session(case.engine) as session:
        revoked = {
            i.item
            for i in session.exec(
                select(SimulatedIssue).where(SimulatedIssue.case_id == case.case_id)
            )
            if i.revoked_at is not None
        }
    assert revoked == set(done)
    assert case.item("childcare_subsidy").status is ItemStatus.cancelled  # needed the rejected
    assert all(case.item(code).status is ItemStatus.compensated for code in done)
    assert case.case().undone == result.undone
    assert case.item().reason_code == "materials_inconsistent"
