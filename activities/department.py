"""What every department's activities share: the adapter that reaches its back-end.

The activity contract is documented in docs/departments.md.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Protocol, TypeVar

from temporalio import activity

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
    """A department back-end; the embedded default is `SimulatedDepartment`."""

    async def perform(self, request: ItemRequest) -> ItemResult: ...

    async def revoke(self, request: CompensationRequest) -> CompensationResult: ...


class DepartmentActivities:
    """Base of one department's activities; subclasses declare one method per item.

    Every department also serves `revoke_issue`, the compensating activity items name in
    the catalog (`compensation: revoke_issue`); it runs on the department's own task queue.
    """

    department: ClassVar[str]

    def __init__(self, adapter: DepartmentAdapter):
        self._adapter = adapter

    async def _perform(self, request: ItemRequest) -> ItemResult:
        return await heartbeating(self._adapter.perform(request))

    @activity.defn
    async def revoke_issue(self, request: CompensationRequest) -> CompensationResult:
        """Undo what an item issued when its case stops (saga compensation)."""
        return await heartbeating(self._adapter.revoke(request))

    def activities(self) -> list[Callable[..., Any]]:
        """The bound activity methods to register on this department's worker."""
        return [
            getattr(self, name)
            for name in dir(type(self))
            if hasattr(getattr(type(self), name), "__temporal_activity_definition")
        ]
