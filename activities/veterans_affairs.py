"""Veterans affairs bureau (退役军人事务局): reporting after discharge and grants."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class VeteransAffairsActivities(DepartmentActivities):
    department = "veterans-affairs"

    @activity.defn
    async def register_veteran(self, request: ItemRequest) -> ItemResult:
        """退役报到 / Reporting after discharge."""
        return await self._perform(request)

    @activity.defn
    async def grant_one_off_subsidy(self, request: ItemRequest) -> ItemResult:
        """自主就业退役士兵一次性经济补助 / One-off grant for self-employed veterans."""
        return await self._perform(request)
