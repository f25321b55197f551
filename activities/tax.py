"""Tax bureau (税务局), which collects resident medical-insurance premiums."""

from temporalio import activity

from activities.department import DepartmentActivities
from activities.models import ItemRequest, ItemResult


class TaxActivities(DepartmentActivities):
    department = "tax"

    @activity.defn
    async def collect_insurance_premium(self, request: ItemRequest) -> ItemResult:
        """城乡居民医保费申报缴纳."""
        return await self._perform(request)
