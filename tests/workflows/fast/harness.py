"""ScenarioWorkflow alone, in seconds: the time-skipping server and one worker on one task
queue, the department and read-model activities replaced by fakes registered under the names
the workflow calls (the catalog's, workflows/activity_names.py). The fakes record what they
were called with, in memory: no database, no department workers."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from catalog.calendar import CHINA_TZ, WorkCalendar
from catalog.loader import get_catalog
from catalog.models import ResolvedItem
from domain.records import CaseRecord, ItemRecord
from domain.statuses import EventKind, ItemStatus
from tests.helpers import newborn_form, wait_until
from workflows import case_workflow_id
from workflows.activity_names import RECORD_CASE, RECORD_ITEM, RECORD_ITEMS
from workflows.models import (
    ClaimInput,
    CompensationRequest,
    CompensationResult,
    DecideInput,
    Decision,
    ItemRequest,
    ItemResult,
    ScenarioInput,
    ScenarioResult,
    SupplementInput,
    WithdrawInput,
)
from workflows.scenario import ScenarioWorkflow

REVIEWED = "household_registration"
POLICE = "public-security"
DAY = timedelta(days=1)


@dataclass
class Calls:
    """What the fake activities were called with, in the order they were called."""

    asked: list[tuple[str, ItemRequest, datetime]] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)  # items issued, in order
    revoked: list[tuple[str, CompensationRequest]] = field(default_factory=list)
    items: list[ItemRecord] = field(default_factory=list)  # read-model transitions
    local: list[ItemRecord] = field(default_factory=list)  # those the workflow wrote
    cases: list[CaseRecord] = field(default_factory=list)

    def events(self, item: str | None = None, kind: EventKind | None = None) -> list[ItemRecord]:
        return [
            r
            for r in self.items
            if (item is None or r.item == item) and (kind is None or r.event is kind)
        ]

    def status(self, item: str) -> ItemStatus | None:
        """The item's status as last written to the read model."""
        written = self.events(item)
        return written[-1].status if written else None

    def requests(self, item: str) -> list[ItemRequest]:
        return [request for _, request, _ in self.asked if request.item == item]

    def asked_at(self, item: str) -> list[datetime]:
        """When the item's department was asked (the server's clock), in order."""
        return [at for _, request, at in self.asked if request.item == item]


class FakeDepartments:
    """Every department activity the spec names: performing issues the item's outputs at once
    (`refuse`: refuses it for good; `later`: accepts first and issues after that many working
    days from the first request) and, as onego's department activities do, writes the item
    done to the read model itself (`records`; else the workflow writes it); compensating
    answers revoked (once `hold` is set, if given)."""

    def __init__(
        self,
        calls: Calls,
        calendar: WorkCalendar,
        refuse: Iterable[str] = (),
        later: dict[str, float] | None = None,
        hold: asyncio.Event | None = None,
        records: bool = True,
    ):
        self.calls, self.calendar = calls, calendar
        self.refuse, self.later, self.hold = set(refuse), later or {}, hold
        self.records = records

    def activities(self, items: list[ResolvedItem]) -> list[Callable[..., Any]]:
        performs = {item.activity for item in items}
        revokes = {item.compensation for item in items if item.compensation}
        return [self._performing(n) for n in sorted(performs)] + [
            self._revoking(n) for n in sorted(revokes)
        ]

    def _performing(self, name: str) -> Callable[..., Any]:
        async def perform(request: ItemRequest) -> ItemResult:
            now = activity.info().current_attempt_scheduled_time
            self.calls.asked.append((name, request, now))
            if request.item in self.refuse:
                raise ApplicationError("refused", type="InvalidRequest", non_retryable=True)
            if request.item in self.later:
                first = self.calls.asked_at(request.item)[0]
                ready = self.calendar.add_working_days(first, self.later[request.item])
                if now < ready:
                    return ItemResult(item=request.item, outputs={}, issued_at=now, ready_at=ready)
            self.calls.answered.append(request.item)
            outputs = {o.code: f"{request.item}/{o.code}" for o in request.outputs}
            if self.records:
                self.calls.items.append(
                    ItemRecord(
                        case_id=request.case_id,
                        item=request.item,
                        event=EventKind.done,
                        status=ItemStatus.done,
                        at=now,
                        outputs=outputs,
                    )
                )
            return ItemResult(
                item=request.item, outputs=outputs, issued_at=now, recorded=self.records
            )

        return activity.defn(name=name)(perform)

    def _revoking(self, name: str) -> Callable[..., Any]:
        async def revoke(request: CompensationRequest) -> CompensationResult:
            self.calls.revoked.append((name, request))
            if self.hold is not None:
                await self.hold.wait()
            return CompensationResult(
                item=request.item,
                revoked=True,
                revoked_at=activity.info().current_attempt_scheduled_time,
            )

        return activity.defn(name=name)(revoke)


class FakeReadModel:
    """The read-model writers: they keep the transitions in `calls`."""

    def __init__(self, calls: Calls):
        self.calls = calls

    @activity.defn(name=RECORD_ITEMS)
    async def record_items(self, records: list[ItemRecord]) -> None:
        self.calls.items.extend(records)
        self.calls.local.extend(records)

    @activity.defn(name=RECORD_ITEM)
    async def record_item(self, record: ItemRecord) -> None:
        await self.record_items([record])

    @activity.defn(name=RECORD_CASE)
    async def record_case(self, record: CaseRecord) -> None:
        self.calls.cases.append(record)

    def activities(self) -> list[Callable[..., Any]]:
        return [self.record_items, self.record_item, self.record_case]


@dataclass
class FastCase:
    """One newborn case on its own worker, and what its fake activities saw."""

    env: WorkflowEnvironment
    handle: WorkflowHandle[ScenarioWorkflow, ScenarioResult]
    input: ScenarioInput
    calls: Calls

    async def opened(self, item: str = REVIEWED) -> ItemRecord:
        [record] = await wait_until(
            lambda: self.calls.events(item, EventKind.task_opened), what=f"{item} opened"
        )
        return record

    async def claim(self, clerk: str, **extra: Any) -> None:
        await self.handle.execute_update(
            ScenarioWorkflow.claim,
            ClaimInput(item=REVIEWED, clerk=clerk, department=POLICE, **extra),
        )

    async def decide(self, clerk: str, decision: Decision, **extra: Any) -> None:
        await self.handle.execute_update(
            ScenarioWorkflow.decide,
            DecideInput(item=REVIEWED, clerk=clerk, department=POLICE, decision=decision, **extra),
        )

    async def supplement(self, **fields: Any) -> None:
        await self.handle.execute_update(
            ScenarioWorkflow.supplement, SupplementInput(item=REVIEWED, fields=fields)
        )

    async def withdraw(self, reason: str = "改为线下办理") -> None:
        await self.handle.execute_update(ScenarioWorkflow.withdraw, WithdrawInput(reason=reason))

    async def done(self, *items: str) -> None:
        """Wait until these items are written done."""
        await wait_until(
            lambda: all(self.calls.status(i) is ItemStatus.done for i in items),
            what=f"{items} done",
        )

    async def compensable_done(self) -> list[str]:
        """Items with a compensation, in the order the workflow learned they were done: their
        department calls' last completions in the history (concurrent items may be written
        done by their departments in another order)."""
        items = {i.activity: i for i in self.input.spec.items if i.compensation}
        completed = sorted((c, name) for name, _, c in await self.scheduled() if name in items)
        return list(dict.fromkeys(items[name].code for _, name in reversed(completed)))[::-1]

    async def scheduled(self) -> list[tuple[str, int, int]]:
        """From the history: (activity, scheduled event id, completed event id) per call."""
        names: dict[int, str] = {}
        calls: list[tuple[str, int, int]] = []
        async for event in self.handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                names[event.event_id] = (
                    event.activity_task_scheduled_event_attributes.activity_type.name
                )
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                scheduled = event.activity_task_completed_event_attributes.scheduled_event_id
                calls.append((names[scheduled], scheduled, event.event_id))
        return calls


def newborn_input(
    task_queue: str, calendar: WorkCalendar, changes: dict[str, dict[str, Any]] | None = None
) -> ScenarioInput:
    """A newborn case's workflow input with every item's activities on `task_queue`
    (`changes`: item code -> fields of that item to change)."""
    catalog = get_catalog()
    spec = catalog.spec("newborn")
    assert spec is not None
    form = newborn_form()
    items = [
        item.model_copy(update={"task_queue": task_queue, **(changes or {}).get(item.code, {})})
        for item in spec.applicable(form).items
    ]
    return ScenarioInput(
        case_id=str(uuid.uuid4()),
        spec=spec.model_copy(update={"items": items}),
        form=form,
        submitted_at=datetime.now(CHINA_TZ),
        calendar=calendar,
        review=catalog.review,
    )


@asynccontextmanager
async def fast_case(
    env: WorkflowEnvironment,
    holidays: frozenset[date] = frozenset(),
    refuse: Iterable[str] = (),
    later: dict[str, float] | None = None,
    changes: dict[str, dict[str, Any]] | None = None,
    hold: asyncio.Event | None = None,
    records: bool = True,
) -> AsyncIterator[FastCase]:
    """Start a newborn case with its worker (workflow and fakes) on a task queue of its own
    (`records`: the department activities write their items done, as onego's do)."""
    task_queue = f"fast-{uuid.uuid4().hex[:12]}"
    calls = Calls()
    workflow_input = newborn_input(task_queue, WorkCalendar(holidays=holidays), changes)
    departments = FakeDepartments(calls, workflow_input.calendar, refuse, later, hold, records)
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[ScenarioWorkflow],
        activities=[
            *departments.activities(workflow_input.spec.items),
            *FakeReadModel(calls).activities(),
        ],
    ):
        handle = await env.client.start_workflow(
            ScenarioWorkflow.run,
            workflow_input,
            id=case_workflow_id(workflow_input.case_id),
            task_queue=task_queue,
        )
        yield FastCase(env, handle, workflow_input, calls)


async def next_thursday_10am(env: WorkflowEnvironment) -> datetime:
    """Skip the test server's clock to a Thursday 10:00 in China, a week or more ahead."""
    now = (await env.get_current_time()).astimezone(CHINA_TZ)
    day = now.date() + timedelta(days=7)
    while day.weekday() != 3:
        day += DAY
    target = datetime(day.year, day.month, day.day, 10, tzinfo=CHINA_TZ)
    await env.sleep(target - now)
    return target
