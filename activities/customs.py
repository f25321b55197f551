"""Customs (海关): importer/exporter records and queries."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class CustomsActivities(DepartmentActivities):
    department = "customs"

    @activity.defn
    async def cancel_customs_record(self, request: ItemRequest) -> ItemResult:
        """海关进出口货物收发货人备案注销 / Cancelling the customs importer/exporter record."""
        return await self._perform(request)

    @activity.defn
    async def query_customs(self, request: ItemRequest) -> ItemResult:
        """破产企业海关涉企信息查询 / Customs query for a bankrupt enterprise."""
        return await self._perform(request)
