"""Which activity classes serve which department (the worker's table of contents)."""

from activities.civil_affairs import CivilAffairsActivities
from activities.commercial_bank import CommercialBankActivities
from activities.court import CourtActivities
from activities.culture_tourism import CultureTourismActivities
from activities.customs import CustomsActivities
from activities.department import DepartmentActivities
from activities.development_reform import DevelopmentReformActivities
from activities.disabled_persons_federation import DisabledPersonsFederationActivities
from activities.education import EducationActivities
from activities.fire_rescue import FireRescueActivities
from activities.gas_utility import GasUtilityActivities
from activities.health import HealthActivities
from activities.housing_fund import HousingFundActivities
from activities.housing_urban import HousingUrbanActivities
from activities.human_resources import HumanResourcesActivities
from activities.market_regulation import MarketRegulationActivities
from activities.medical_insurance import MedicalInsuranceActivities
from activities.natural_resources import NaturalResourcesActivities
from activities.people_armed_forces import PeopleArmedForcesActivities
from activities.peoples_bank import PeoplesBankActivities
from activities.power_utility import PowerUtilityActivities
from activities.public_security import PublicSecurityActivities
from activities.tax import TaxActivities
from activities.telecom_operator import TelecomOperatorActivities
from activities.tobacco import TobaccoActivities
from activities.transport import TransportActivities
from activities.veterans_affairs import VeteransAffairsActivities
from activities.water_utility import WaterUtilityActivities

DEPARTMENT_ACTIVITIES: dict[str, type[DepartmentActivities]] = {
    cls.department: cls
    for cls in (
        HealthActivities,
        PublicSecurityActivities,
        MedicalInsuranceActivities,
        HumanResourcesActivities,
        TaxActivities,
        EducationActivities,
        CivilAffairsActivities,
        DisabledPersonsFederationActivities,
        VeteransAffairsActivities,
        PeopleArmedForcesActivities,
        NaturalResourcesActivities,
        MarketRegulationActivities,
        TransportActivities,
        FireRescueActivities,
        HousingUrbanActivities,
        WaterUtilityActivities,
        PowerUtilityActivities,
        GasUtilityActivities,
        TelecomOperatorActivities,
        CourtActivities,
        DevelopmentReformActivities,
        PeoplesBankActivities,
        TobaccoActivities,
        CommercialBankActivities,
        HousingFundActivities,
        CultureTourismActivities,
        CustomsActivities,
    )
}
