"""Power supply company (供电公司): account transfers and connections."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class PowerUtilityActivities(DepartmentActivities):
    department = "power-utility"

    @activity.defn
    async def transfer_power_account(self, request: ItemRequest) -> ItemResult:
        """供电过户 / Electricity account transfer."""
        return await self._perform(request)

    @activity.defn
    async def connect_power(self, request: ItemRequest) -> ItemResult:
        """用电报装 / Electricity connection."""
        return await self._perform(request)
