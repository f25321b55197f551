"""Transport commission (交通运输委员会): road transport permits and card transit."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class TransportActivities(DepartmentActivities):
    department = "transport"

    @activity.defn
    async def enable_ss_card_transit(self, request: ItemRequest) -> ItemResult:
        """社保卡交通出行功能开通 / Public transport on the card."""
        return await self._perform(request)

    @activity.defn
    async def review_road_transport_permit(self, request: ItemRequest) -> ItemResult:
        """道路货物运输经营许可 / Road freight transport business permit."""
        return await self._perform(request)

    @activity.defn
    async def issue_vehicle_certificates(self, request: ItemRequest) -> ItemResult:
        """车辆《道路运输证》配发 / Road transport certificates for the vehicles."""
        return await self._perform(request)

    @activity.defn
    async def record_driver_qualification(self, request: ItemRequest) -> ItemResult:
        """驾驶员从业资格信息核验备案 / Driver qualification check."""
        return await self._perform(request)
