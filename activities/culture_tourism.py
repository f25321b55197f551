"""Culture and tourism commission (文化和旅游委员会): services on the card."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class CultureTourismActivities(DepartmentActivities):
    department = "culture-tourism"

    @activity.defn
    async def enable_ss_card_culture_tourism(self, request: ItemRequest) -> ItemResult:
        """社保卡文旅服务开通 / Culture and tourism services on the card."""
        return await self._perform(request)
