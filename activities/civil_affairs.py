"""Civil affairs bureau (民政局): disability subsidies, cremation and funeral services."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class CivilAffairsActivities(DepartmentActivities):
    department = "civil-affairs"

    @activity.defn
    async def grant_disability_living_subsidy(self, request: ItemRequest) -> ItemResult:
        """困难残疾人生活补贴 / Living subsidy for disabled people in hardship."""
        return await self._perform(request)

    @activity.defn
    async def grant_disability_nursing_subsidy(self, request: ItemRequest) -> ItemResult:
        """重度残疾人护理补贴 / Nursing subsidy for severe disability."""
        return await self._perform(request)

    @activity.defn
    async def arrange_cremation(self, request: ItemRequest) -> ItemResult:
        """遗体火化及基本殡葬服务 / Cremation and basic funeral services."""
        return await self._perform(request)
