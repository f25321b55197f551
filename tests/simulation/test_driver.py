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
from simulation.driver import Action, Driver, Stuck, next_timer

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
    """A case's workflow whose history holds `history`; it must not receive updates."""

    id = "case-test"

    def __init__(self, history: list[HistoryEvent]):
        self.history = history

    def fetch_history_events(self) -> AsyncIterator[HistoryEvent]:
        return events(*self.history)

    async def execute_update(self, *args: Any) -> None:
        raise AssertionError("the update was delivered while a timer was due")


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


def test_an_update_waits_until_its_workflows_timer_has_fired():
    """A timer due while the update's workflow task could be open: the update (and the
    case's later actions of the step) are scheduled again just after it."""
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
    decide = Action(NOW, 2, "decide", 0, "household_registration")
    asyncio.run(run._deliver([claim, decide], NOW))
    assert run.stats.deferred == 1
    again = sorted(run._schedule)
    assert [(a.kind, a.at) for a in again] == [
        ("claim", fires + driver.AFTER_TIMER),
        ("decide", fires + driver.AFTER_TIMER),
    ]


def test_a_wait_that_never_ends_fails_naming_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(driver, "PATIENCE", 0.05)
    with pytest.raises(Stuck, match="the test server's clock to reach"):
        asyncio.run(make_driver(Server()).run())
