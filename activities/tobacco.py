"""Tobacco monopoly administration (烟草专卖局): tobacco retail licences."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class TobaccoActivities(DepartmentActivities):
    department = "tobacco"

    @activity.defn
    async def review_tobacco_retail_licence(self, request: ItemRequest) -> ItemResult:
        """烟草专卖零售许可证核发 / Tobacco retail licence."""
        return await self._perform(request)
