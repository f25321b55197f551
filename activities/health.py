"""Health commission, midwifery institutions and vaccination units (卫生健康委员会)."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class HealthActivities(DepartmentActivities):
    department = "health"

    @activity.defn
    async def register_childbirth(self, request: ItemRequest) -> ItemResult:
        """生育登记: issues the childbirth registration number."""
        return await self._perform(request)

    @activity.defn
    async def issue_birth_certificate(self, request: ItemRequest) -> ItemResult:
        """出生医学证明首次签发 by the midwifery institution."""
        return await self._perform(request)

    @activity.defn
    async def issue_vaccination_certificate(self, request: ItemRequest) -> ItemResult:
        """预防接种证: opens the newborn's vaccination record."""
        return await self._perform(request)

    @activity.defn
    async def register_childcare_subsidy(self, request: ItemRequest) -> ItemResult:
        """育儿补贴及科学育儿指导登记."""
        return await self._perform(request)

    @activity.defn
    async def assess_disability(self, request: ItemRequest) -> ItemResult:
        """残疾评定 / Disability assessment."""
        return await self._perform(request)

    @activity.defn
    async def issue_death_certificate(self, request: ItemRequest) -> ItemResult:
        """居民死亡医学证明（推断）书签发 / Medical certificate of death."""
        return await self._perform(request)
