"""Market regulation administration (市场监督管理局): registration and licences."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class MarketRegulationActivities(DepartmentActivities):
    department = "market-regulation"

    @activity.defn
    async def verify_business_licence(self, request: ItemRequest) -> ItemResult:
        """企业营业执照信息核验 / Business licence verification."""
        return await self._perform(request)

    @activity.defn
    async def review_food_business_licence(self, request: ItemRequest) -> ItemResult:
        """食品经营许可（新办） / Food business licence (new)."""
        return await self._perform(request)

    @activity.defn
    async def draft_change_documents(self, request: ItemRequest) -> ItemResult:
        """章程修正案及股东会决议生成 / Drafting the amendment and resolution."""
        return await self._perform(request)

    @activity.defn
    async def register_company_change(self, request: ItemRequest) -> ItemResult:
        """企业变更登记 / Company change registration."""
        return await self._perform(request)

    @activity.defn
    async def register_deregistration(self, request: ItemRequest) -> ItemResult:
        """企业注销登记 / Company deregistration."""
        return await self._perform(request)

    @activity.defn
    async def query_registration_archive(self, request: ItemRequest) -> ItemResult:
        """企业登记档案查询 / Company registration archive query."""
        return await self._perform(request)

    @activity.defn
    async def check_market_compliance(self, request: ItemRequest) -> ItemResult:
        """市场监管领域合法合规信息核查 / Compliance check (market regulation)."""
        return await self._perform(request)

    @activity.defn
    async def confirm_penalty_fulfilment(self, request: ItemRequest) -> ItemResult:
        """行政处罚履行情况确认 / Confirming that a penalty was fulfilled."""
        return await self._perform(request)

    @activity.defn
    async def remove_from_abnormal_list(self, request: ItemRequest) -> ItemResult:
        """移出经营异常名录 / Removal from the list of abnormal operations."""
        return await self._perform(request)

    @activity.defn
    async def register_company(self, request: ItemRequest) -> ItemResult:
        """企业设立登记 / Company establishment registration."""
        return await self._perform(request)
