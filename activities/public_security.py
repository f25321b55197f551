"""Public security bureau and police stations (公安局)."""

from temporalio import activity

from activities.department import DepartmentActivities
from activities.models import ItemRequest, ItemResult


class PublicSecurityActivities(DepartmentActivities):
    department = "public-security"

    @activity.defn
    async def register_household(self, request: ItemRequest) -> ItemResult:
        """出生登记: after the clerk's approval, assigns the citizen ID and household number."""
        return await self._perform(request)
