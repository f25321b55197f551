"""People's armed forces department (人民武装部): reserve service registration."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class PeopleArmedForcesActivities(DepartmentActivities):
    department = "people-armed-forces"

    @activity.defn
    async def register_reserve(self, request: ItemRequest) -> ItemResult:
        """预备役登记 / Reserve service registration."""
        return await self._perform(request)
