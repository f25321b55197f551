"""Disabled persons' federation (残疾人联合会): the disability certificate."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class DisabledPersonsFederationActivities(DepartmentActivities):
    department = "disabled-persons-federation"

    @activity.defn
    async def issue_disability_certificate(self, request: ItemRequest) -> ItemResult:
        """残疾人证新办 / Disability certificate (first issue)."""
        return await self._perform(request)
