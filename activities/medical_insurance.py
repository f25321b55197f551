"""Medical insurance bureau (医疗保障局)."""

from temporalio import activity

from activities.department import DepartmentActivities
from activities.models import ItemRequest, ItemResult


class MedicalInsuranceActivities(DepartmentActivities):
    department = "medical-insurance"

    @activity.defn
    async def enrol_medical_insurance(self, request: ItemRequest) -> ItemResult:
        """城乡居民医保参保登记 with the citizen ID that registration assigned."""
        return await self._perform(request)

    @activity.defn
    async def reimburse_maternity_expenses(self, request: ItemRequest) -> ItemResult:
        """生育医疗费用报销."""
        return await self._perform(request)

    @activity.defn
    async def pay_maternity_allowance(self, request: ItemRequest) -> ItemResult:
        """生育津贴申领."""
        return await self._perform(request)
