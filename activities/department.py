"""The department activities, defined from the catalog: one generic implementation that asks
the department's adapter (adapters/config.py chooses it).

Each department serves, on its own task queue, an activity named as each of its items names
one in `catalog/data/items.yaml` (`activity`, `compensation`). Performing calls the adapter's
`perform`, compensating its `revoke`; a department's own behaviour belongs in its adapter.
The activity contract is documented in docs/departments.md.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from temporalio import activity

from catalog.loader import Catalog
from domain.records import ItemRecord
from domain.statuses import EventKind, ItemStatus
from workflows.models import CompensationRequest, CompensationResult, ItemRequest, ItemResult

R = TypeVar("R")
# Writes item transitions to the read model (activities/read_model.py `write_items`).
RecordItems = Callable[[list[ItemRecord]], None]
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
    catalog: Catalog, department: str, adapter: DepartmentAdapter, record: RecordItems | None = None
) -> list[Callable[..., Any]]:
    """The activities to register on `department`'s worker: each activity its items name,
    performing through `adapter`, and each compensation they name, revoking through it.
    Given `record`, an item performed is written done to the read model by its activity."""
    items = [item for item in catalog.items.values() if item.department == department]
    performs = sorted({item.activity for item in items})
    revokes = sorted({item.compensation for item in items if item.compensation})
    if both := set(performs) & set(revokes):
        raise ValueError(f"{department}: {sorted(both)} both perform and compensate items")
    return [_performing(name, adapter, record) for name in performs] + [
        _revoking(name, adapter) for name in revokes
    ]


def _performing(
    name: str, adapter: DepartmentAdapter, record: RecordItems | None
) -> Callable[..., Any]:
    async def perform(request: ItemRequest) -> ItemResult:
        """Perform an item (idempotent by its case and code); given `record`, write it done
        to the read model in a transaction of its own (`recorded`: the workflow then makes no
        local activity for it). A retry after the write finds the item done and adds nothing."""
        began = time.monotonic()
        result = await heartbeating(adapter.perform(request))
        if record is None or result.ready_at is not None:
            return result.model_copy(update={"recorded": False})
        # On the Temporal server's clock, as the workflow's own time would be.
        at = activity.info().started_time + timedelta(seconds=time.monotonic() - began)
        done = ItemRecord(
            case_id=request.case_id,
            item=request.item,
            event=EventKind.done,
            status=ItemStatus.done,
            at=at,
            outputs=result.outputs,
        )
        await asyncio.to_thread(record, [done])
        return result.model_copy(update={"recorded": True})

    return activity.defn(name=name)(perform)


def _revoking(name: str, adapter: DepartmentAdapter) -> Callable[..., Any]:
    async def revoke(request: CompensationRequest) -> CompensationResult:
        """Undo what an item issued when its case stops (saga compensation)."""
        return await heartbeating(adapter.revoke(request))

    return activity.defn(name=name)(revoke)
