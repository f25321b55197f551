"""Commercial bank (承办商业银行): card accounts, deposits, company accounts."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class CommercialBankActivities(DepartmentActivities):
    department = "commercial-bank"

    @activity.defn
    async def activate_ss_card_account(self, request: ItemRequest) -> ItemResult:
        """社会保障卡金融账户激活 / Activation of the card's bank account."""
        return await self._perform(request)

    @activity.defn
    async def withdraw_deceased_deposits(self, request: ItemRequest) -> ItemResult:
        """已故存款人存款提取 / Withdrawing the deposits of a deceased depositor."""
        return await self._perform(request)

    @activity.defn
    async def close_company_account(self, request: ItemRequest) -> ItemResult:
        """单位银行结算账户撤销 / Closing the company bank account."""
        return await self._perform(request)

    @activity.defn
    async def open_company_account(self, request: ItemRequest) -> ItemResult:
        """单位银行基本存款账户开立 / Opening the company's basic bank account."""
        return await self._perform(request)
