"""What every department's activities share: the adapter that reaches its back-end.

The activity contract is documented in docs/departments.md.
"""

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from temporalio import activity

from activities.models import (
    CompensationRequest,
    CompensationResult,
    ItemRequest,
    ItemResult,
)


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
        return await self._adapter.perform(request)

    @activity.defn
    async def revoke_issue(self, request: CompensationRequest) -> CompensationResult:
        """Undo what an item issued when its case stops (saga compensation)."""
        return await self._adapter.revoke(request)

    def activities(self) -> list[Callable[..., Any]]:
        """The bound activity methods to register on this department's worker."""
        return [
            getattr(self, name)
            for name in dir(type(self))
            if hasattr(getattr(type(self), name), "__temporal_activity_definition")
        ]
