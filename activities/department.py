"""The department activities, defined from the catalog: one generic implementation that asks
the department's adapter (adapters/config.py chooses it).

Each department serves, on its own task queue, an activity named as each of its items names
one in `catalog/data/items.yaml` (`activity`, `compensation`). Performing calls the adapter's
`perform`, compensating its `revoke`; a department's own behaviour belongs in its adapter.
The activity contract is documented in docs/departments.md.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from temporalio import activity

from catalog.loader import Catalog
from workflows.models import CompensationRequest, CompensationResult, ItemRequest, ItemResult

R = TypeVar("R")
# How often a department call that is still waiting tells Temporal it is alive; the workflow's
# heartbeat timeout (workflows/scenario.py) is a few of these.
HEARTBEAT_EVERY = 5.0


async def heartbeating(call: Awaitable[R]) -> R:
    """Await a department call, heartbeating every `HEARTBEAT_EVERY` seconds while it waits,
    so that a worker that dies in the middle of a call is noticed after the heartbeat timeout
    rather than the call's 2 minutes. A quick call costs one timer, never a heartbeat."""
    loop = asyncio.get_running_loop()
    timer: asyncio.TimerHandle

    def beat() -> None:
        nonlocal timer
        activity.heartbeat()
        timer = loop.call_later(HEARTBEAT_EVERY, beat)

    timer = loop.call_later(HEARTBEAT_EVERY, beat)
    try:
        return await call
    finally:
        timer.cancel()


class DepartmentAdapter(Protocol):
    """A department back-end; the embedded default is `adapters.simulated.SimulatedDepartment`."""

    async def perform(self, request: ItemRequest) -> ItemResult: ...

    async def revoke(self, request: CompensationRequest) -> CompensationResult: ...


def department_activities(
    catalog: Catalog, department: str, adapter: DepartmentAdapter
) -> list[Callable[..., Any]]:
    """The activities to register on `department`'s worker: each activity its items name,
    performing through `adapter`, and each compensation they name, revoking through it."""
    items = [item for item in catalog.items.values() if item.department == department]
    performs = sorted({item.activity for item in items})
    revokes = sorted({item.compensation for item in items if item.compensation})
    if both := set(performs) & set(revokes):
        raise ValueError(f"{department}: {sorted(both)} both perform and compensate items")
    return [_performing(name, adapter) for name in performs] + [
        _revoking(name, adapter) for name in revokes
    ]


def _performing(name: str, adapter: DepartmentAdapter) -> Callable[..., Any]:
    async def perform(request: ItemRequest) -> ItemResult:
        """Perform an item (idempotent by its case and code)."""
        return await heartbeating(adapter.perform(request))

    return activity.defn(name=name)(perform)


def _revoking(name: str, adapter: DepartmentAdapter) -> Callable[..., Any]:
    async def revoke(request: CompensationRequest) -> CompensationResult:
        """Undo what an item issued when its case stops (saga compensation)."""
        return await heartbeating(adapter.revoke(request))

    return activity.defn(name=name)(revoke)
