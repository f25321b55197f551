"""Gas company (燃气公司): account transfers and connections."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class GasUtilityActivities(DepartmentActivities):
    department = "gas-utility"

    @activity.defn
    async def transfer_gas_account(self, request: ItemRequest) -> ItemResult:
        """燃气过户 / Gas account transfer."""
        return await self._perform(request)

    @activity.defn
    async def connect_gas(self, request: ItemRequest) -> ItemResult:
        """用气报装 / Gas connection."""
        return await self._perform(request)
