"""Human resources and social security bureau (人力资源和社会保障局)."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class HumanResourcesActivities(DepartmentActivities):
    department = "human-resources"

    @activity.defn
    async def issue_social_security_card(self, request: ItemRequest) -> ItemResult:
        """社会保障卡申领."""
        return await self._perform(request)

    @activity.defn
    async def check_enrolment_social_insurance(self, request: ItemRequest) -> ItemResult:
        """随迁子女父母社保缴纳信息核验 / Social insurance check of a migrant child's parent."""
        return await self._perform(request)

    @activity.defn
    async def issue_resident_ss_card(self, request: ItemRequest) -> ItemResult:
        """社会保障卡申领 / Social security card application."""
        return await self._perform(request)

    @activity.defn
    async def issue_electronic_ss_card(self, request: ItemRequest) -> ItemResult:
        """电子社会保障卡签发 / Electronic social security card."""
        return await self._perform(request)

    @activity.defn
    async def approve_retirement(self, request: ItemRequest) -> ItemResult:
        """企业职工退休申请（退休审批） / Retirement approval."""
        return await self._perform(request)

    @activity.defn
    async def determine_pension(self, request: ItemRequest) -> ItemResult:
        """基本养老金待遇核定 / Basic pension entitlement."""
        return await self._perform(request)

    @activity.defn
    async def transfer_veteran_pension(self, request: ItemRequest) -> ItemResult:
        """军地养老保险关系转移接续 / Transfer of military pension insurance."""
        return await self._perform(request)

    @activity.defn
    async def register_veteran_training(self, request: ItemRequest) -> ItemResult:
        """职业技能培训和就业创业指导登记 / Vocational training and employment guidance."""
        return await self._perform(request)

    @activity.defn
    async def pay_funeral_grant(self, request: ItemRequest) -> ItemResult:
        """丧葬补助金及抚恤金申领 / Funeral grant and survivor's pension."""
        return await self._perform(request)

    @activity.defn
    async def change_employer_social_insurance(self, request: ItemRequest) -> ItemResult:
        """单位社会保险登记信息变更 / Employer social insurance registration change."""
        return await self._perform(request)

    @activity.defn
    async def close_employer_social_insurance(self, request: ItemRequest) -> ItemResult:
        """单位社会保险登记注销 / Closing the employer social insurance registration."""
        return await self._perform(request)

    @activity.defn
    async def register_employment(self, request: ItemRequest) -> ItemResult:
        """单位新录用人员就业登记 / Employment registration of a new hire."""
        return await self._perform(request)

    @activity.defn
    async def enrol_employee_insurance(self, request: ItemRequest) -> ItemResult:
        """单位职工参保登记（养老、工伤、失业） / Employee social insurance enrolment."""
        return await self._perform(request)

    @activity.defn
    async def receive_personnel_file(self, request: ItemRequest) -> ItemResult:
        """流动人员人事档案接收 / Receiving the personnel file."""
        return await self._perform(request)

    @activity.defn
    async def issue_employee_ss_card(self, request: ItemRequest) -> ItemResult:
        """新录用职工社会保障卡申领 / Social security card for the new hire."""
        return await self._perform(request)

    @activity.defn
    async def query_social_insurance_arrears(self, request: ItemRequest) -> ItemResult:
        """破产企业社保欠费信息查询 / Social insurance arrears query for a bankrupt enterprise."""
        return await self._perform(request)

    @activity.defn
    async def check_hr_compliance(self, request: ItemRequest) -> ItemResult:
        """人力社保领域合法合规信息核查 / Compliance check (labour and social insurance)."""
        return await self._perform(request)

    @activity.defn
    async def register_employer_social_insurance(self, request: ItemRequest) -> ItemResult:
        """单位社会保险登记 / Employer social insurance registration."""
        return await self._perform(request)
