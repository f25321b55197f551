"""People's court (人民法院): verifies bankruptcy cases and administrators."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class CourtActivities(DepartmentActivities):
    department = "court"

    @activity.defn
    async def verify_administrator(self, request: ItemRequest) -> ItemResult:
        """破产案件及管理人身份核验 / Verifying the bankruptcy case and the administrator."""
        return await self._perform(request)
