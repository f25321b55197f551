"""People's Bank of China credit reference centre (人民银行征信中心)."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class PeoplesBankActivities(DepartmentActivities):
    department = "peoples-bank"

    @activity.defn
    async def query_credit_report(self, request: ItemRequest) -> ItemResult:
        """企业征信报告查询 / Enterprise credit reference report."""
        return await self._perform(request)
