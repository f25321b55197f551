"""Education commission (教育委员会): school enrolment review and pupil status."""

from temporalio import activity

from activities.department import DepartmentActivities
from workflows.models import ItemRequest, ItemResult


class EducationActivities(DepartmentActivities):
    department = "education"

    @activity.defn
    async def review_enrolment(self, request: ItemRequest) -> ItemResult:
        """义务教育入学报名及学位审核 / Compulsory-education enrolment and school place review."""
        return await self._perform(request)

    @activity.defn
    async def register_student_status(self, request: ItemRequest) -> ItemResult:
        """中小学生学籍注册 / Pupil status registration."""
        return await self._perform(request)
