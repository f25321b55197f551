"""Fire and rescue detachment (消防救援支队): inspections and compliance records."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class FireRescueActivities(DepartmentActivities):
    department = "fire-rescue"

    @activity.defn
    async def inspect_fire_safety(self, request: ItemRequest) -> ItemResult:
        """营业前消防安全检查 / Pre-opening fire safety inspection of a public venue."""
        return await self._perform(request)

    @activity.defn
    async def check_fire_compliance(self, request: ItemRequest) -> ItemResult:
        """消防安全领域合法合规信息核查 / Compliance check (fire safety)."""
        return await self._perform(request)
