"""The department activities' shared behaviour, run in Temporal's activity test environment."""

import asyncio
from datetime import UTC, datetime

import pytest
from temporalio.testing import ActivityEnvironment

from activities import department
from workflows.models import CompensationRequest, CompensationResult, ItemRequest, ItemResult


class SlowDepartment:
    """A back-end that answers after `delay` seconds (or never, when cancelled first)."""

    def __init__(self, delay: float):
        self.delay = delay
        self.cancelled = False

    async def perform(self, request: ItemRequest) -> ItemResult:
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return ItemResult(item=request.item, outputs={"n": "1"}, issued_at=datetime.now(UTC))

    async def revoke(self, request: CompensationRequest) -> CompensationResult:
        raise NotImplementedError


REQUEST = ItemRequest(case_id="c1", scenario="newborn", item="x", department="tax", fields={})


async def test_a_waiting_call_heartbeats_and_returns_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(department, "HEARTBEAT_EVERY", 0.05)
    env = ActivityEnvironment()
    beats: list[tuple[object, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    activities = department.DepartmentActivities(SlowDepartment(0.32))
    result = await env.run(activities._perform, REQUEST)
    assert result.outputs == {"n": "1"}
    assert 4 <= len(beats) <= 7, beats  # one per 50 ms of waiting


async def test_a_quick_call_does_not_heartbeat() -> None:
    env = ActivityEnvironment()
    beats: list[tuple[object, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    result = await env.run(department.DepartmentActivities(SlowDepartment(0))._perform, REQUEST)
    assert result.item == "x" and beats == []


async def test_a_cancelled_activity_cancels_the_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(department, "HEARTBEAT_EVERY", 0.05)
    env = ActivityEnvironment()
    backend = SlowDepartment(30)
    running = asyncio.create_task(
        env.run(department.DepartmentActivities(backend)._perform, REQUEST)
    )
    await asyncio.sleep(0.2)
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert backend.cancelled
