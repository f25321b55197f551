"""Housing provident fund management centre (住房公积金管理中心)."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class HousingFundActivities(DepartmentActivities):
    department = "housing-fund"

    @activity.defn
    async def withdraw_on_retirement(self, request: ItemRequest) -> ItemResult:
        """住房公积金退休提取 / Housing provident fund withdrawal on retirement."""
        return await self._perform(request)

    @activity.defn
    async def withdraw_for_heirs(self, request: ItemRequest) -> ItemResult:
        """住房公积金继承提取 / Housing provident fund withdrawal by heirs."""
        return await self._perform(request)

    @activity.defn
    async def change_employer_housing_fund(self, request: ItemRequest) -> ItemResult:
        """住房公积金单位信息变更 / Employer housing provident fund change."""
        return await self._perform(request)

    @activity.defn
    async def close_employer_housing_fund(self, request: ItemRequest) -> ItemResult:
        """住房公积金单位缴存登记注销 / Closing the employer housing provident fund account."""
        return await self._perform(request)

    @activity.defn
    async def open_employee_account(self, request: ItemRequest) -> ItemResult:
        """住房公积金个人账户设立 / Housing provident fund account for the employee."""
        return await self._perform(request)

    @activity.defn
    async def check_housing_fund_compliance(self, request: ItemRequest) -> ItemResult:
        """住房公积金领域合法合规信息核查 / Compliance check (housing provident fund)."""
        return await self._perform(request)

    @activity.defn
    async def register_employer_housing_fund(self, request: ItemRequest) -> ItemResult:
        """住房公积金单位缴存登记 / Employer housing provident fund registration."""
        return await self._perform(request)
