"""The driver: the simulation's applicants and clerks, acting on real cases in simulated time.

It keeps a schedule of what is due when: each arrival (a submission through
`cases.submission.submit`), each claim and decision of an open task, each supplement answer.
It advances the time-skipping server's clock to the next step with something due
(`env.sleep`; the server fires the workflows' own timers on the way and does not skip ahead
while they have work in hand), delivers everything due in that step concurrently, lets the server
settle (a one-second sleep returns once the workflows have done what the step caused), then
reads the read model once for tasks that opened and cases that ended. A task's story is
drawn when it is found open (simulation/behaviour.py) and scheduled from its real opening
time.

Each action is due at its intended instant and delivered at the end of the step it falls
in; the next action of its story is scheduled from the intended instant, so the step adds at
most one step's delay to a case, not one per action. A step costs the chain of work it
causes (workflow tasks, department activities, read-model writes) however few cases it
touches, so the run's time grows with the number of steps: `resolution_minutes` and the
arrival rate set it; steps with many cases use the workers' concurrency.

Two rules keep the run from hanging on the time-skipping server:
- A decision or an answer is delivered only when its workflow has no timer due within
  `GUARD` (read from its history); else it waits until just after that timer. While the
  server has work in hand its clock runs at the wall clock's pace, so a timer may fire
  while the update's workflow task is open; if that task's completion then cancels the
  timer (a decision closes the review's SLA clock, an answer ends the supplement deadline),
  the server refuses the completion and loses the workflow task: the workflow never moves
  again and the update never returns. A claim cancels no timer and needs no such guard.
- Every wait on the server or the read model is bounded by `PATIENCE` of wall-clock time;
  beyond it the run fails (`Stuck`) naming what it waited for.
"""

import asyncio
import heapq
import random
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from cases.submission import submit
from catalog.loader import Catalog
from catalog.models import ScenarioSpec
from domain.queues import TaskQueues
from domain.statuses import CaseStatus, ItemStatus
from forms.unified import compile_form
from simulation import store
from simulation.applicants import Applicant, RunRegistries
from simulation.baseline import one_by_one
from simulation.behaviour import ReviewStory, draw_review
from simulation.clock import OfficeHours, arrival_offsets, step_end
from simulation.config import SimulationConfig
from store.models import CASE, ITEM
from workflows import case_workflow_id
from workflows.models import (
    ClaimInput,
    DecideInput,
    Decision,
    SupplementInput,
    SupplementRequest,
)
from workflows.scenario import ScenarioWorkflow

OPEN = (CaseStatus.submitted.value, CaseStatus.running.value)
# Nothing due and cases still open (waiting for the server's work or its timers): look again
# after this, doubling while nothing changes, and give up after STUCK without any change.
IDLE_FIRST, IDLE_MAX, STUCK = timedelta(minutes=15), timedelta(days=1), timedelta(days=120)
SETTLE = timedelta(seconds=1)
# The clock moves at most this far per call: the server does the work of the timers that fire
# on the way (a night's department systems for a thousand cases) before the call returns, and
# a call that stays open for minutes is cut off by the connection's keep-alive.
LEAP = timedelta(hours=1)
# An update waits while its workflow has a timer due this soon (see the module's docstring);
# more than the wall-clock time a step's deliveries take, during which the clock runs on.
GUARD = timedelta(minutes=10)
AFTER_TIMER = timedelta(seconds=1)
# The updates whose workflow task cancels a timer: a decision closes the review's SLA clock,
# an answer ends the supplement deadline. A claim cancels none, so it needs no guard (and no
# read of its workflow's history).
CANCELS_TIMER = frozenset({"decide", "answer"})
# Wall-clock seconds any one wait on the server or the read model may take.
PATIENCE = 300.0
T = TypeVar("T")
# Submissions at once: each holds a read-model connection across its awaits, and its
# database calls wait for the default thread pool; more of them than the pool has
# connections would wait for each other (the engine's pool: 5 + 10 overflow).
SUBMISSIONS_AT_ONCE = 4


@dataclass(order=True)
class Action:
    at: datetime
    seq: int
    kind: str = field(compare=False)  # arrive | claim | decide | answer
    index: int = field(compare=False, default=-1)  # the case's arrival order
    item: str = field(compare=False, default="")
    decision: Decision | None = field(compare=False, default=None)


@dataclass(frozen=True)
class Shard:
    """The cases a driver runs: those whose arrival order is `number` modulo `of`. Every
    draw of a case is keyed by the seed and its arrival order, so its story and its figures
    do not depend on how the run is sharded."""

    number: int
    of: int

    def holds(self, index: int) -> bool:
        return index % self.of == self.number


@dataclass
class Step:
    """What the driver reports after each step (for a progress bar)."""

    now: datetime
    submitted: int
    ended: int
    total: int


@dataclass
class DriverStats:
    origin: datetime  # the server's time when the run began
    first_arrival: datetime | None = None
    last_arrival: datetime | None = None
    finished: datetime | None = None  # the server's time when the last case had ended
    steps: int = 0
    updates: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    deferred: int = 0  # updates that waited for a timer of their workflow to fire first
    seconds: float = 0.0
    # where the wall-clock time went: moving the clock (the server finishing the work due
    # before the step, then skipping), delivering, settling after delivery, reading
    timings: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))


WHOLE_RUN = Shard(0, 1)


class Stuck(RuntimeError):
    """Cases stay open with nothing changing, or a wait on the server never ends."""


async def within(what: str, call: Awaitable[T]) -> T:
    """`call`'s result, or `Stuck` naming `what` after PATIENCE seconds."""
    try:
        return await asyncio.wait_for(call, PATIENCE)
    except TimeoutError:
        raise Stuck(
            f"waited {PATIENCE:g} s of wall-clock time for {what}; the run stops "
            "(with --keep-db the read model keeps what happened so far)"
        ) from None


async def next_timer(events: AsyncIterator[HistoryEvent]) -> datetime | None:
    """When the earliest timer still pending in a workflow's history fires (None: none)."""
    pending: dict[str, datetime] = {}
    async for event in events:
        if event.HasField("timer_started_event_attributes"):
            started = event.timer_started_event_attributes
            fires = event.event_time.ToDatetime(UTC) + started.start_to_fire_timeout.ToTimedelta()
            pending[started.timer_id] = fires
        elif event.HasField("timer_fired_event_attributes"):
            pending.pop(event.timer_fired_event_attributes.timer_id, None)
        elif event.HasField("timer_canceled_event_attributes"):
            pending.pop(event.timer_canceled_event_attributes.timer_id, None)
    return min(pending.values(), default=None)


class Driver:
    def __init__(
        self,
        env: WorkflowEnvironment,
        engine: Engine,
        catalog: Catalog,
        spec: ScenarioSpec,
        form: dict[str, Any],
        config: SimulationConfig,
        seed: int,
        applicants: list[Applicant],
        task_queue: str,
        on_step: Callable[[Step], None] | None = None,
        concurrency: int = 64,
        origin: datetime | None = None,
        shard: Shard = WHOLE_RUN,
    ):
        self.env, self.engine, self.catalog = env, engine, catalog
        self.spec, self.form, self.config, self.seed = spec, form, config, seed
        self.applicants = applicants
        self.registries = RunRegistries(applicants)
        self.task_queue = task_queue
        self.on_step = on_step
        self.origin, self.shard = origin, shard
        self.total = sum(1 for index in range(len(applicants)) if shard.holds(index))
        self.office = OfficeHours(catalog.calendar, config.clerks.office_hours)
        self.step = timedelta(minutes=config.resolution_minutes)
        self._limit = asyncio.Semaphore(concurrency)
        self._submissions = asyncio.Semaphore(SUBMISSIONS_AT_ONCE)
        self._schedule: list[Action] = []
        self._seq = 0
        self._case_ids: list[str | None] = [None] * len(applicants)
        self._index: dict[str, int] = {}
        self._stories: dict[tuple[int, str], ReviewStory] = {}
        self._baselines: list[dict[str, Any]] = []
        self._ended = 0
        self.stats: DriverStats | None = None

    # -- the loop ------------------------------------------------------------------------
    async def run(self) -> DriverStats:
        began = time.monotonic()
        now = await within("the server's time", self.env.get_current_time())
        if self.origin is not None:  # the run's start, shared by its shards
            if now > self.origin:
                raise Stuck(f"the test server started after the run's start {self.origin}")
            now = await self._advance(now, self.origin)
        origin = self.origin or now
        stats = self.stats = DriverStats(origin=origin)
        self._schedule_arrivals(origin)
        grid = origin.replace(minute=0, second=0, microsecond=0)  # steps start on the hour
        idle, last_change = IDLE_FIRST, now
        while True:
            if self._schedule:
                target = step_end(self._schedule[0].at, grid, self.step)
            elif self._ended >= self.total:
                break
            else:
                if now - last_change > STUCK:
                    raise Stuck(
                        f"{self.total - self._ended} cases still open after "
                        f"{STUCK.days} days without any change (see the read model)"
                    )
                target, idle = now + idle, min(idle * 2, IDLE_MAX)
            clock = time.monotonic()
            now = await self._advance(now, target)
            clock = self._took("advance", clock)
            due = []
            while self._schedule and self._schedule[0].at <= now:
                due.append(heapq.heappop(self._schedule))
            if due:
                await self._deliver(due, now)
                clock = self._took("deliver", clock)
                now = await self._advance(now, now + SETTLE)
                clock = self._took("settle", clock)
            changed = await self._look(now)
            self._took("look", clock)
            if due or changed:
                idle, last_change = IDLE_FIRST, now
            stats.steps += 1
            if self.on_step:
                submitted = sum(1 for c in self._case_ids if c is not None)
                self.on_step(Step(now, submitted, self._ended, self.total))
        stats.finished = await self._finished_at()
        stats.seconds = time.monotonic() - began
        return stats

    def _schedule_arrivals(self, origin: datetime) -> None:
        """Schedule the arrivals of this shard's cases; all the run's are drawn, so that a
        case arrives at the same instant whatever the shards."""
        rng = random.Random(f"{self.seed}:arrivals")
        everyone = len(self.applicants)
        period = self.config.arrivals.period(everyone)
        for index, offset in enumerate(arrival_offsets(everyone, period, rng)):
            if self.shard.holds(index):
                self._push(self.catalog.calendar.add_working_days(origin, offset), "arrive", index)

    def _took(self, what: str, since: float) -> float:
        assert self.stats is not None
        now = time.monotonic()
        self.stats.timings[what] += now - since
        return now

    async def _advance(self, now: datetime, target: datetime) -> datetime:
        """Move the server's clock to `target`, at most `LEAP` at a time; its timers fire
        on the way."""
        while target > now:
            leap = min(target, now + LEAP)
            await within(
                f"the test server's clock to reach {leap:%Y-%m-%d %H:%M:%S} UTC (it does not "
                "move on while a workflow task or activity stays unfinished)",
                self.env.sleep(leap - now),
            )
            now = max(await within("the server's time", self.env.get_current_time()), leap)
        return now

    def _push(self, at: datetime, kind: str, index: int = -1, item: str = "", **extra: Any) -> None:
        self._seq += 1
        heapq.heappush(self._schedule, Action(at, self._seq, kind, index, item, **extra))

    # -- delivering actions --------------------------------------------------------------
    async def _deliver(self, due: list[Action], now: datetime) -> None:
        """Run the due actions: concurrently across cases, in order within a case."""
        by_case: dict[int, list[Action]] = {}
        for action in due:
            by_case.setdefault(action.index, []).append(action)

        async def one_case(actions: list[Action]) -> None:
            async with self._limit:
                for position, action in enumerate(actions):
                    wait = await self._perform(action, now)
                    if wait is not None:
                        self._defer(actions[position:], wait)
                        return

        await asyncio.gather(*(one_case(actions) for actions in by_case.values()))
        if self._baselines:
            rows, self._baselines = self._baselines, []
            await asyncio.to_thread(store.add_baselines, self.engine, rows)

    def _defer(self, actions: list[Action], until: datetime) -> None:
        """Deliver `actions` (one case's, in order) at `until`, after the timer they wait for."""
        assert self.stats is not None
        self.stats.deferred += 1
        for action in actions:
            self._seq += 1
            heapq.heappush(self._schedule, replace(action, at=max(action.at, until), seq=self._seq))

    async def _perform(self, action: Action, now: datetime) -> datetime | None:
        """Deliver `action`; or, if a timer of its workflow is due within GUARD, the instant
        just after that timer, when it may be delivered."""
        if action.kind == "arrive":
            await self._arrive(action.index, now)
            return None
        item = self.spec.item(action.item)
        story = self._stories[(action.index, action.item)]
        handle = self.env.client.get_workflow_handle(
            case_workflow_id(self._case_ids[action.index] or "")
        )
        if action.kind in CANCELS_TIMER:
            timer = await within(
                f"the history of {handle.id}", next_timer(handle.fetch_history_events())
            )
            clock = await within("the server's time", self.env.get_current_time())
            if timer is not None and timer <= clock + GUARD:
                return max(timer, clock) + AFTER_TIMER
        calendar = self.catalog.calendar
        if action.kind == "claim":
            ok = await self._update(
                "claim",
                handle,
                handle.execute_update(
                    ScenarioWorkflow.claim,
                    ClaimInput(item=item.code, clerk=story.clerk, department=item.department),
                ),
            )
            if ok:
                at = self.office.next_open(calendar.add_working_days(action.at, story.decision))
                decision = Decision(story.outcome.value)
                self._push(max(at, now), "decide", action.index, item.code, decision=decision)
        elif action.kind == "decide":
            assert action.decision is not None
            ok = await self._update(
                f"decide:{action.decision.value}",
                handle,
                handle.execute_update(ScenarioWorkflow.decide, self._decision(action, story)),
            )
            if ok and action.decision is Decision.supplement and story.answer is not None:
                at = calendar.add_working_days(action.at, story.answer)
                self._push(max(at, now), "answer", action.index, item.code)
        elif action.kind == "answer":
            asks = self._asks(action.item)
            ok = await self._update(
                "supplement",
                handle,
                handle.execute_update(
                    ScenarioWorkflow.supplement,
                    SupplementInput(
                        item=item.code,
                        fields={f: self.form.get(f) for f in asks.fields},
                        materials=list(asks.materials),
                    ),
                ),
            )
            if ok:
                assert story.recheck is not None
                at = self.office.next_open(calendar.add_working_days(action.at, story.recheck))
                self._push(
                    max(at, now), "decide", action.index, item.code, decision=Decision.approve
                )
        return None

    async def _update(
        self, what: str, handle: WorkflowHandle[Any, Any], call: Coroutine[Any, Any, Any]
    ) -> bool:
        """Deliver one update; a refusal by the workflow's validator is counted, not raised
        (e.g. the case stopped meanwhile)."""
        assert self.stats is not None
        try:
            await within(f"the {what} update of {handle.id} to return", call)
        except WorkflowUpdateFailedError as exc:
            cause = getattr(exc.cause, "type", None) or type(exc.cause).__name__
            self.stats.refused[f"{what}:{cause}"] += 1
            return False
        self.stats.updates[what] += 1
        return True

    def _asks(self, code: str) -> SupplementRequest:
        asks = self.config.reviews.of(code).asks
        item = self.spec.item(code)
        fields = asks.fields or ([] if asks.materials else item.fields[:1])
        return SupplementRequest(fields=fields, materials=asks.materials, note=asks.note)

    def _decision(self, action: Action, story: ReviewStory) -> DecideInput:
        item = self.spec.item(action.item)
        common = {"item": item.code, "clerk": story.clerk, "department": item.department}
        if action.decision is Decision.reject:
            reasons = self.catalog.review.reject_reasons
            code = "materials_inconsistent" if "materials_inconsistent" in reasons else None
            code = code or next(iter(reasons))
            return DecideInput(
                **common,
                decision=Decision.reject,
                reason_code=code,
                reason=f"{reasons[code].zh} / {reasons[code].en} (simulated)",
            )
        if action.decision is Decision.supplement:
            return DecideInput(
                **common, decision=Decision.supplement, supplement=self._asks(action.item)
            )
        return DecideInput(**common, decision=Decision.approve)

    async def _arrive(self, index: int, now: datetime) -> None:
        """Submit case `index` as its applicant, through `cases.submission.submit`."""
        applicant = self.applicants[index]
        form = self.form
        if applicant.identity.resident_id:  # a scenario may require its applicant be named
            form = compile_form(self.spec.code, self.spec.version, self.catalog).for_applicant(
                form, applicant.identity.resident_id
            )
        async with self._submissions:
            with Session(self.engine) as session:
                case, _ = await within(
                    f"the submission of case {index}",
                    submit(
                        session,
                        self.env.client,
                        self.catalog,
                        applicant.id,
                        self.spec.code,
                        form,
                        idempotency_key=f"simulation-{self.seed}-{index}",
                        queues=TaskQueues(scenarios=self.task_queue),
                        registries=self.registries,
                        identity=applicant.identity,
                        submitted_at=now,
                    ),
                )
        self._case_ids[index] = case.id
        self._index[case.id] = index
        assert self.stats is not None
        self.stats.first_arrival = self.stats.first_arrival or now
        self.stats.last_arrival = now
        path = one_by_one(
            self.spec, self.config.baseline, random.Random(f"{self.seed}:{index}:baseline")
        )
        self._baselines.append(
            {
                "case_id": case.id,
                "position": index,
                "days": path.days,
                "items": {code: list(pair) for code, pair in path.items.items()},
            }
        )

    # -- reading the read model ----------------------------------------------------------
    async def _look(self, now: datetime) -> bool:
        """Plan the tasks that opened since the last look; count the cases that ended.
        Two queries for the whole run, whatever the number of cases."""
        opened, ended = await within("the read model", asyncio.to_thread(self._read))
        changed = ended != self._ended
        self._ended = ended
        calendar = self.catalog.calendar
        for case_id, code, opened_at in opened:
            index = self._index.get(case_id)
            if index is None or (index, code) in self._stories:
                continue
            rng = random.Random(f"{self.seed}:{index}:{code}")
            story = draw_review(self.config.reviews.of(code), self.spec.item(code), rng)
            self._stories[(index, code)] = story
            at = self.office.next_open(calendar.add_working_days(opened_at, story.pickup))
            self._push(max(at, now), "claim", index, code)
            changed = True
        return changed

    def _read(self) -> tuple[list[tuple[str, str, datetime]], int]:
        with self.engine.connect() as connection:
            opened = connection.execute(
                select(ITEM.c.case_id, ITEM.c.item, ITEM.c.opened_at).where(
                    ITEM.c.status == ItemStatus.awaiting_review.value,
                    ITEM.c.holder.is_(None),
                    ITEM.c.opened_at.is_not(None),
                )
            ).all()
            query = select(func.count()).select_from(CASE).where(CASE.c.status.notin_(OPEN))
            if self.shard.of > 1:  # this shard's cases only (the read model is the run's)
                query = query.join(store.BASELINE, store.BASELINE.c.case_id == CASE.c.id).where(
                    store.BASELINE.c.position % self.shard.of == self.shard.number
                )
            ended = connection.execute(query).scalar_one()
        return [tuple(row) for row in opened], int(ended)  # type: ignore[misc]

    async def _finished_at(self) -> datetime | None:
        def read() -> datetime | None:
            with self.engine.connect() as connection:
                return connection.execute(select(func.max(CASE.c.completed_at))).scalar_one()

        return await within("the read model", asyncio.to_thread(read))


def counts(stats: DriverStats) -> dict[str, Any]:
    """The driver's figures as plain data (kept with the run)."""
    return {
        "origin": stats.origin.isoformat(),
        "first_arrival": stats.first_arrival.isoformat() if stats.first_arrival else None,
        "last_arrival": stats.last_arrival.isoformat() if stats.last_arrival else None,
        "finished": stats.finished.isoformat() if stats.finished else None,
        "steps": stats.steps,
        "updates": dict(stats.updates),
        "refused": dict(stats.refused),
        "deferred": stats.deferred,
        "seconds": round(stats.seconds, 2),
        "timings": {k: round(v, 2) for k, v in stats.timings.items()},
    }
