"""Development and reform commission, public credit centre (公共信用信息中心)."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class DevelopmentReformActivities(DepartmentActivities):
    department = "development-reform"

    @activity.defn
    async def issue_special_credit_report(self, request: ItemRequest) -> ItemResult:
        """专用信用报告 / Special credit report replacing no-violation certificates."""
        return await self._perform(request)

    @activity.defn
    async def repair_public_credit(self, request: ItemRequest) -> ItemResult:
        """行政处罚信息信用修复 / Credit repair of an administrative penalty record."""
        return await self._perform(request)

    @activity.defn
    async def sync_credit_repair(self, request: ItemRequest) -> ItemResult:
        """信用修复结果同步 / Publishing the repair on the credit websites."""
        return await self._perform(request)
