"""Telecom operator (通信运营商): broadband transfers and connections."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class TelecomOperatorActivities(DepartmentActivities):
    department = "telecom-operator"

    @activity.defn
    async def transfer_broadband_account(self, request: ItemRequest) -> ItemResult:
        """宽带（网络）过户 / Broadband account transfer."""
        return await self._perform(request)

    @activity.defn
    async def connect_telecom(self, request: ItemRequest) -> ItemResult:
        """通信网络报装 / Telecom connection."""
        return await self._perform(request)
