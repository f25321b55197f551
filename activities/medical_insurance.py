"""Medical insurance bureau (医疗保障局)."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class MedicalInsuranceActivities(DepartmentActivities):
    department = "medical-insurance"

    @activity.defn
    async def enrol_medical_insurance(self, request: ItemRequest) -> ItemResult:
        """城乡居民医保参保登记 with the citizen ID that registration assigned."""
        return await self._perform(request)

    @activity.defn
    async def reimburse_maternity_expenses(self, request: ItemRequest) -> ItemResult:
        """生育医疗费用报销."""
        return await self._perform(request)

    @activity.defn
    async def pay_maternity_allowance(self, request: ItemRequest) -> ItemResult:
        """生育津贴申领."""
        return await self._perform(request)

    @activity.defn
    async def enable_ss_card_settlement(self, request: ItemRequest) -> ItemResult:
        """社保卡就医购药结算开通 / Medical settlement with the card."""
        return await self._perform(request)

    @activity.defn
    async def determine_retiree_medical(self, request: ItemRequest) -> ItemResult:
        """职工医保退休人员待遇核定 / Medical insurance benefits for a retiree."""
        return await self._perform(request)

    @activity.defn
    async def transfer_medical_insurance(self, request: ItemRequest) -> ItemResult:
        """基本医疗保险关系转移接续（变更登记） / Transfer of basic medical insurance."""
        return await self._perform(request)

    @activity.defn
    async def terminate_medical_insurance(self, request: ItemRequest) -> ItemResult:
        """医保关系终止及个人账户继承 / Closing medical insurance, inheriting the account."""
        return await self._perform(request)

    @activity.defn
    async def reimburse_medical_expenses(self, request: ItemRequest) -> ItemResult:
        """基本医疗保险费用零星报销 / Medical expense reimbursement (basic insurance)."""
        return await self._perform(request)

    @activity.defn
    async def pay_serious_illness_insurance(self, request: ItemRequest) -> ItemResult:
        """城乡居民大病保险赔付 / Serious illness insurance payment."""
        return await self._perform(request)

    @activity.defn
    async def grant_medical_assistance(self, request: ItemRequest) -> ItemResult:
        """医疗救助 / Medical assistance."""
        return await self._perform(request)

    @activity.defn
    async def change_employer_medical_insurance(self, request: ItemRequest) -> ItemResult:
        """单位医疗保险登记信息变更 / Employer medical insurance registration change."""
        return await self._perform(request)

    @activity.defn
    async def close_employer_medical_insurance(self, request: ItemRequest) -> ItemResult:
        """单位医疗保险登记注销 / Closing the employer medical insurance registration."""
        return await self._perform(request)

    @activity.defn
    async def enrol_employee_medical(self, request: ItemRequest) -> ItemResult:
        """职工基本医疗保险参保登记 / Employee medical insurance enrolment."""
        return await self._perform(request)

    @activity.defn
    async def register_employer_medical_insurance(self, request: ItemRequest) -> ItemResult:
        """单位医疗保险登记 / Employer medical insurance registration."""
        return await self._perform(request)
