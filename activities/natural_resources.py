"""Planning and natural resources bureau, real estate registration (不动产登记)."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class NaturalResourcesActivities(DepartmentActivities):
    department = "natural-resources"

    @activity.defn
    async def check_enrolment_property(self, request: ItemRequest) -> ItemResult:
        """入学房产信息核验 / Home ownership check for enrolment."""
        return await self._perform(request)

    @activity.defn
    async def register_property_transfer(self, request: ItemRequest) -> ItemResult:
        """不动产转移登记 / Property transfer registration."""
        return await self._perform(request)

    @activity.defn
    async def query_real_estate(self, request: ItemRequest) -> ItemResult:
        """破产企业不动产登记信息查询 / Real estate query for a bankrupt enterprise."""
        return await self._perform(request)

    @activity.defn
    async def check_land_compliance(self, request: ItemRequest) -> ItemResult:
        """自然资源领域合法合规信息核查 / Compliance check (planning."""
        return await self._perform(request)
