"""Human resources and social security bureau (人力资源和社会保障局)."""

from temporalio import activity

from activities.department import DepartmentActivities
from activities.models import ItemRequest, ItemResult


class HumanResourcesActivities(DepartmentActivities):
    department = "human-resources"

    @activity.defn
    async def issue_social_security_card(self, request: ItemRequest) -> ItemResult:
        """社会保障卡申领."""
        return await self._perform(request)
