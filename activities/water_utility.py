"""Water supply company (供水企业): account transfers and connections."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class WaterUtilityActivities(DepartmentActivities):
    department = "water-utility"

    @activity.defn
    async def transfer_water_account(self, request: ItemRequest) -> ItemResult:
        """供水过户 / Water account transfer."""
        return await self._perform(request)

    @activity.defn
    async def connect_water(self, request: ItemRequest) -> ItemResult:
        """用水报装 / Water connection."""
        return await self._perform(request)
