"""The department activities defined from the catalog: named as the items name them, one
generic implementation that heartbeats while the adapter's call waits. Run in Temporal's
activity test environment."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from temporalio import activity
from temporalio.testing import ActivityEnvironment

from activities import department
from catalog.loader import get_catalog
from workflows.models import CompensationRequest, CompensationResult, ItemRequest, ItemResult

CATALOG = get_catalog()


class SlowDepartment:
    """A back-end that answers after `delay` seconds (or never, when cancelled first)."""

    def __init__(self, delay: float):
        self.delay = delay
        self.cancelled = False
        self.revoked: list[str] = []

    async def perform(self, request: ItemRequest) -> ItemResult:
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return ItemResult(item=request.item, outputs={"n": "1"}, issued_at=datetime.now(UTC))

    async def revoke(self, request: CompensationRequest) -> CompensationResult:
        self.revoked.append(request.item)
        return CompensationResult(item=request.item, revoked=True, revoked_at=datetime.now(UTC))


REQUEST = ItemRequest(
    case_id="c1", scenario="newborn", item="medical_insurance_payment", department="tax", fields={}
)


def named(activities: list[Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    return {activity._Definition.must_from_callable(a).name: a for a in activities}


def tax(backend: SlowDepartment) -> dict[str, Callable[..., Any]]:
    return named(department.department_activities(CATALOG, "tax", backend))


def test_each_department_serves_the_activities_its_items_name() -> None:
    served = {
        code: set(named(department.department_activities(CATALOG, code, SlowDepartment(0))))
        for code in CATALOG.departments
    }
    for item in CATALOG.items.values():
        assert item.activity in served[item.department], item.code
        if item.compensation:
            assert item.compensation in served[item.department], item.code
    # Nothing else: 119 items, each its own activity, and compensation where items name it.
    performs = sum(len(names - {"revoke_issue"}) for names in served.values())
    assert performs == len({(i.department, i.activity) for i in CATALOG.items.values()}) == 119
    compensating = {code for code, names in served.items() if "revoke_issue" in names}
    assert compensating == {i.department for i in CATALOG.items.values() if i.compensation}


def test_an_activity_that_both_performs_and_compensates_is_refused() -> None:
    item = CATALOG.items["childbirth_registration"]
    clash = item.model_copy(update={"compensation": item.activity})
    with pytest.raises(ValueError, match="both perform and compensate"):
        department.department_activities(
            SimpleNamespace(items={item.code: clash}),  # type: ignore[arg-type]
            item.department,
            SlowDepartment(0),
        )


async def test_a_waiting_call_heartbeats_and_returns_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(department, "HEARTBEAT_EVERY", 0.05)
    env = ActivityEnvironment()
    beats: list[tuple[object, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    result = await env.run(tax(SlowDepartment(0.32))["collect_insurance_premium"], REQUEST)
    assert result.outputs == {"n": "1"}
    assert 4 <= len(beats) <= 7, beats  # one per 50 ms of waiting


async def test_a_quick_call_does_not_heartbeat() -> None:
    env = ActivityEnvironment()
    beats: list[tuple[object, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    result = await env.run(tax(SlowDepartment(0))["clear_taxes"], REQUEST)
    assert result.item == REQUEST.item and beats == []


async def test_a_cancelled_activity_cancels_the_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(department, "HEARTBEAT_EVERY", 0.05)
    env = ActivityEnvironment()
    backend = SlowDepartment(30)
    running = asyncio.create_task(env.run(tax(backend)["collect_insurance_premium"], REQUEST))
    await asyncio.sleep(0.2)
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert backend.cancelled


async def test_the_compensation_activity_revokes_through_the_adapter() -> None:
    backend = SlowDepartment(0)
    health = named(department.department_activities(CATALOG, "health", backend))
    request = CompensationRequest(
        case_id="c1", item="childbirth_registration", department="health", outputs={}, reason="x"
    )
    result = await ActivityEnvironment().run(health["revoke_issue"], request)
    assert result.revoked and backend.revoked == ["childbirth_registration"]
