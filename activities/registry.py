"""Which activity classes serve which department (the worker's table of contents)."""

from activities.department import DepartmentActivities
from activities.health import HealthActivities
from activities.human_resources import HumanResourcesActivities
from activities.medical_insurance import MedicalInsuranceActivities
from activities.public_security import PublicSecurityActivities
from activities.tax import TaxActivities

DEPARTMENT_ACTIVITIES: dict[str, type[DepartmentActivities]] = {
    cls.department: cls
    for cls in (
        HealthActivities,
        PublicSecurityActivities,
        MedicalInsuranceActivities,
        HumanResourcesActivities,
        TaxActivities,
    )
}
