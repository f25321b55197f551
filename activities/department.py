"""What every department's activities share: the adapter that reaches its back-end."""

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from activities.models import ItemRequest, ItemResult


class DepartmentAdapter(Protocol):
    """A department back-end; the embedded default is `SimulatedDepartment`."""

    async def perform(self, request: ItemRequest) -> ItemResult: ...


class DepartmentActivities:
    """Base of one department's activities; subclasses declare one method per item."""

    department: ClassVar[str]

    def __init__(self, adapter: DepartmentAdapter):
        self._adapter = adapter

    async def _perform(self, request: ItemRequest) -> ItemResult:
        return await self._adapter.perform(request)

    def activities(self) -> list[Callable[..., Any]]:
        """The bound activity methods to register on this department's worker."""
        return [
            getattr(self, name)
            for name in dir(type(self))
            if hasattr(getattr(type(self), name), "__temporal_activity_definition")
        ]
