"""Tax bureau (税务局): premiums, transaction taxes, registrations, clearance, tax credit."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class TaxActivities(DepartmentActivities):
    department = "tax"

    @activity.defn
    async def collect_insurance_premium(self, request: ItemRequest) -> ItemResult:
        """城乡居民医保费申报缴纳."""
        return await self._perform(request)

    @activity.defn
    async def collect_home_transaction_tax(self, request: ItemRequest) -> ItemResult:
        """存量房交易税费申报缴纳 / Taxes on a second-hand home sale."""
        return await self._perform(request)

    @activity.defn
    async def register_illness_deduction(self, request: ItemRequest) -> ItemResult:
        """个人所得税大病医疗专项附加扣除信息采集 / Income-tax deduction for serious illness."""
        return await self._perform(request)

    @activity.defn
    async def change_tax_registration(self, request: ItemRequest) -> ItemResult:
        """税务登记信息变更 / Tax registration change."""
        return await self._perform(request)

    @activity.defn
    async def clear_taxes(self, request: ItemRequest) -> ItemResult:
        """税务注销（清税） / Tax deregistration (tax clearance)."""
        return await self._perform(request)

    @activity.defn
    async def query_tax_arrears(self, request: ItemRequest) -> ItemResult:
        """破产企业欠税及涉税信息查询 / Tax arrears query for a bankrupt enterprise."""
        return await self._perform(request)

    @activity.defn
    async def check_tax_compliance(self, request: ItemRequest) -> ItemResult:
        """税务领域合法合规信息核查 / Compliance check (tax)."""
        return await self._perform(request)

    @activity.defn
    async def repair_tax_credit(self, request: ItemRequest) -> ItemResult:
        """纳税信用修复 / Tax credit rating repair."""
        return await self._perform(request)

    @activity.defn
    async def register_new_taxpayer(self, request: ItemRequest) -> ItemResult:
        """新办纳税人涉税事项（信息确认、发票申领） / New taxpayer set-up and invoices."""
        return await self._perform(request)
