"""The reform dashboard's figures as the API answers them and the pages show them
(GET /api/v1/metrics/..., web/manager.py, the simulation report); computed by
reporting/dashboard.py, defined in docs/dashboard.md."""

from datetime import datetime

from pydantic import BaseModel

from catalog.targets import ReformTargets
from domain.text import Text
from reporting.period import Period


class ScenarioFigures(BaseModel):
    scenario: str  # "" for the total
    name: Text
    cases: int
    in_progress: int
    ended: int
    completed: int
    by_status: dict[str, int]
    completion_rate: float | None
    materials_baseline: int
    materials_provided: int
    material_reduction: float | None
    baseline_days: float | None  # mean one-by-one days of the completed cases
    actual_days: float | None  # mean end-to-end working days of the completed cases
    median_days: float | None
    p90_days: float | None
    time_reduction: float | None
    applicant_days: float | None  # mean per completed case
    department_days: float | None
    breaches: int
    meets_material_target: bool | None
    meets_time_target: bool | None


class DepartmentFigures(BaseModel):
    department: str
    name: Text
    reviewed: int
    breached: int
    sla_compliance: float | None
    items: int
    mean_item_days: float | None
    critical_days: float
    share_of_days: float | None
    open: int  # now: waiting for the department or the applicant
    awaiting_supplement: int
    overdue: int


class ItemDriver(BaseModel):
    item: str
    name: Text
    department: str
    department_name: Text
    items: int
    mean_days: float | None
    critical: int  # times on the critical path
    critical_days: float
    critical_applicant_days: float
    mean_critical_days: float | None  # per completed case of the period
    share_of_days: float | None  # of the completed cases' end-to-end days


class Dashboard(BaseModel):
    period: Period
    scenario: str | None
    now: datetime
    targets: ReformTargets
    scenarios: list[ScenarioFigures]
    total: ScenarioFigures
    departments: list[DepartmentFigures]
    drivers: list[ItemDriver]


class ScenarioTotals(BaseModel):
    """One scenario's cases of all time, `submitted` ones included (GET /metrics/scenarios)."""

    scenario: str
    cases: int
    completed: int
    rejected: int
    in_progress: int  # submitted or running
    materials_baseline: int
    materials_provided: int
    material_reduction: float | None
    baseline_days: float  # Σ of the completed cases
    actual_days: float  # Σ of the completed cases
    time_reduction: float | None


class CaseLink(BaseModel):
    case_id: str
    scenario: str
    name: Text
    actual_days: float | None
    breaches: int
