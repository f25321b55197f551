"""The driver's guards against hanging on the time-skipping server (no server: fakes)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.history.v1 import HistoryEvent

from catalog.loader import get_catalog
from forms.unified import example_form
from simulation import driver
from simulation.applicants import Applicant
from simulation.behaviour import Outcome, ReviewStory
from simulation.config import load_config
from simulation.driver import Action, Driver, Shard, Stuck, next_timer
from workflows.models import Decision

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def timer_event(kind: str, timer_id: str, at: datetime, fires_in: timedelta | None = None):
    event = HistoryEvent()
    event.event_time.FromDatetime(at)
    attributes = getattr(event, f"timer_{kind}_event_attributes")
    attributes.timer_id = timer_id
    if fires_in is not None:
        attributes.start_to_fire_timeout.FromTimedelta(fires_in)
    return event


async def events(*items: HistoryEvent) -> AsyncIterator[HistoryEvent]:
    for item in items:
        yield item


class Handle:
    """A case's workflow whose history holds `history`; it takes claims only."""

    id = "case-test"

    def __init__(self, history: list[HistoryEvent]):
        self.history = history
        self.reads = 0
        self.claims = 0

    def fetch_history_events(self) -> AsyncIterator[HistoryEvent]:
        self.reads += 1
        return events(*self.history)

    async def execute_update(self, update: Any, *args: Any) -> None:
        if update.__name__ != "claim":
            raise AssertionError("a decision was delivered while a timer was due")
        self.claims += 1


class Server:
    """A time-skipping server whose clock stays at NOW: `sleep` never returns."""

    def __init__(self, handle: Handle | None = None):
        self.client = self
        self.handle = handle

    def get_workflow_handle(self, workflow_id: str) -> Handle | None:
        return self.handle

    async def get_current_time(self) -> datetime:
        return NOW

    async def sleep(self, duration: timedelta) -> None:
        await asyncio.Event().wait()


def make_driver(server: Server) -> Driver:
    catalog = get_catalog(None)
    spec = catalog.spec("newborn")
    assert spec is not None
    applicants = [Applicant(1, None, False)]  # type: ignore[arg-type]
    form = example_form(spec.code, spec.version, catalog)
    config = load_config()
    return Driver(server, None, catalog, spec, form, config, 1, applicants, "q")  # type: ignore[arg-type]


def test_next_timer_is_the_earliest_still_pending():
    history = [
        timer_event("started", "1", NOW, timedelta(hours=1)),
        timer_event("started", "2", NOW, timedelta(hours=3)),
        timer_event("started", "3", NOW, timedelta(hours=2)),
        timer_event("fired", "1", NOW + timedelta(hours=1)),
        timer_event("canceled", "3", NOW + timedelta(hours=1)),
    ]
    assert asyncio.run(next_timer(events(*history))) == NOW + timedelta(hours=3)
    assert asyncio.run(next_timer(events(*history[:1], history[3]))) is None


def test_a_decision_waits_until_its_workflows_timer_has_fired():
    """A timer due while the decision's workflow task could be open: the decision (and the
    case's later actions of the step) are scheduled again just after it. The claim before
    it cancels no timer: it is delivered at once, without reading the history."""
    fires = NOW + driver.GUARD / 2
    handle = Handle(
        [timer_event("started", "1", NOW - timedelta(days=1), fires - NOW + timedelta(days=1))]
    )
    run = make_driver(Server(handle))
    run.stats = driver.DriverStats(origin=NOW)
    run._case_ids[0] = "test"
    story = ReviewStory("sim-clerk", 0.1, 0.5, Outcome.approve)
    run._stories[(0, "household_registration")] = story
    claim = Action(NOW, 1, "claim", 0, "household_registration")
    decide = Action(NOW, 2, "decide", 0, "household_registration", Decision.approve)
    answer = Action(NOW, 3, "answer", 0, "household_registration")
    asyncio.run(run._deliver([claim, decide, answer], NOW))
    assert (handle.claims, handle.reads, run.stats.deferred) == (1, 1, 1)
    after = fires + driver.AFTER_TIMER
    again = [(a.kind, a.at) for a in sorted(run._schedule)]
    assert again[:2] == [("decide", after), ("answer", after)]  # deferred, in order
    assert len(again) == 3 and again[2][0] == "decide" and again[2][1] > after  # the claim's


def test_a_wait_that_never_ends_fails_naming_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(driver, "PATIENCE", 0.05)
    with pytest.raises(Stuck, match="the test server's clock to reach"):
        asyncio.run(make_driver(Server()).run())


def test_a_shard_runs_its_share_of_the_arrivals_at_the_same_instants():
    """Sharding splits the cases by arrival order; each case arrives when it would in the
    whole run."""
    catalog = get_catalog(None)
    spec = catalog.spec("newborn")
    assert spec is not None
    form = example_form(spec.code, spec.version, catalog)
    applicants = [Applicant(n, None, False) for n in range(7)]  # type: ignore[arg-type]

    def arrivals(shard: Shard) -> dict[int, datetime]:
        run = Driver(
            Server(),
            None,
            catalog,
            spec,
            form,
            load_config(),
            1,
            applicants,
            "q",
            shard=shard,  # type: ignore[arg-type]
        )
        run._schedule_arrivals(NOW)
        return {a.index: a.at for a in run._schedule}

    whole = arrivals(Shard(0, 1))
    parts = [arrivals(Shard(n, 3)) for n in range(3)]
    assert [sorted(p) for p in parts] == [[0, 3, 6], [1, 4], [2, 5]]
    assert {i: at for p in parts for i, at in p.items()} == whole
    assert len(set(whole.values())) == 7
