"""Housing and urban-rural development (住房城乡建设): signboards, surveys, roads."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class HousingUrbanActivities(DepartmentActivities):
    department = "housing-urban"

    @activity.defn
    async def review_outdoor_signboard(self, request: ItemRequest) -> ItemResult:
        """户外招牌设施设置 / Outdoor signboard."""
        return await self._perform(request)

    @activity.defn
    async def survey_connection_site(self, request: ItemRequest) -> ItemResult:
        """水电气网联合踏勘及外线方案答复 / Joint site survey and connection plan."""
        return await self._perform(request)

    @activity.defn
    async def review_road_excavation(self, request: ItemRequest) -> ItemResult:
        """城市道路挖掘（占用）许可 / Permit to dig up or occupy a city road."""
        return await self._perform(request)
