"""Public security bureau and police stations (公安局)."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class PublicSecurityActivities(DepartmentActivities):
    department = "public-security"

    @activity.defn
    async def register_household(self, request: ItemRequest) -> ItemResult:
        """出生登记: after the clerk's approval, assigns the citizen ID and household number."""
        return await self._perform(request)

    @activity.defn
    async def check_enrolment_hukou(self, request: ItemRequest) -> ItemResult:
        """入学户籍信息核验 / Household registration check for enrolment."""
        return await self._perform(request)

    @activity.defn
    async def check_residence_permit(self, request: ItemRequest) -> ItemResult:
        """随迁子女居住证信息核验 / Residence permit check for a migrant child."""
        return await self._perform(request)

    @activity.defn
    async def restore_household(self, request: ItemRequest) -> ItemResult:
        """恢复户口登记 / Restoring household registration."""
        return await self._perform(request)

    @activity.defn
    async def cancel_household(self, request: ItemRequest) -> ItemResult:
        """死亡人员户口注销 / Cancelling the household registration of the deceased."""
        return await self._perform(request)

    @activity.defn
    async def approve_move_in(self, request: ItemRequest) -> ItemResult:
        """户口迁入审批（准予迁入） / Permission to move the household registration in."""
        return await self._perform(request)

    @activity.defn
    async def register_move_out(self, request: ItemRequest) -> ItemResult:
        """户口迁出 / Moving the household registration out."""
        return await self._perform(request)

    @activity.defn
    async def register_settlement(self, request: ItemRequest) -> ItemResult:
        """户口迁入落户登记 / Settling the household registration."""
        return await self._perform(request)

    @activity.defn
    async def reissue_id_card(self, request: ItemRequest) -> ItemResult:
        """居民身份证换领（住址变更） / Resident ID card renewal (new address)."""
        return await self._perform(request)

    @activity.defn
    async def file_company_seal(self, request: ItemRequest) -> ItemResult:
        """公章刻制备案 / Company seal engraving and filing."""
        return await self._perform(request)

    @activity.defn
    async def query_vehicles(self, request: ItemRequest) -> ItemResult:
        """破产企业机动车登记信息查询 / Vehicle query for a bankrupt enterprise."""
        return await self._perform(request)

    @activity.defn
    async def engrave_new_company_seal(self, request: ItemRequest) -> ItemResult:
        """新办企业公章刻制 / Seal engraving for a new company."""
        return await self._perform(request)
