"""Public response models: what each role may see (never a table model with PII)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from activities.models import CaseStatus, ItemStatus
from catalog.models import Text
from forms.messages import Problem


class ErrorResponse(BaseModel):
    """Every 4xx: what is wrong, where, and how to fix it, in zh-CN and English."""

    error: str
    message: Text
    problems: list[Problem] = Field(default_factory=list)


class ItemSummary(BaseModel):
    code: str
    name: Text
    department: str
    department_name: Text
    mode: str
    requires: list[str]
    legal_days: int
    promised_days: int
    outputs: list[str]


class ScenarioSummary(BaseModel):
    code: str
    version: int
    name: Text
    description: Text
    items: int


class Reduction(BaseModel):
    materials_baseline: int
    materials_asked: int
    materials_fetched: int
    material_reduction: float
    fields_baseline: int
    fields_asked: int
    fields_prefilled: int
    field_reduction: float
    baseline_days: float
    promised_days: float


class ScenarioDetail(ScenarioSummary):
    lead_department: str
    items_detail: list[ItemSummary]
    materials_asked: list[Text]
    materials_fetched: list[Text]
    reduction: Reduction


class CaseCreate(BaseModel):
    scenario: str = Field(examples=["newborn"])
    form: dict[str, Any]


class CaseItemPublic(BaseModel):
    code: str
    name: Text
    department: str
    department_name: Text
    mode: str
    status: ItemStatus
    ready: bool = Field(description="Everything it waits for is done.")
    outputs: dict[str, str]
    reason: str | None
    completed_at: datetime | None


class Progress(BaseModel):
    done: int
    total: int
    text: Text


class Measures(BaseModel):
    materials_baseline: int
    materials_provided: int
    material_reduction: float
    fields_baseline: int
    fields_typed: int
    baseline_days: float
    actual_days: float | None
    time_reduction: float | None


class CasePublic(BaseModel):
    id: str
    scenario: str
    scenario_version: int
    status: CaseStatus
    reason: str | None
    submitted_at: datetime
    completed_at: datetime | None
    progress: Progress
    items: list[CaseItemPublic]
    outputs: dict[str, str]
    measures: Measures


class TaskPublic(BaseModel):
    """A reviewed item as its department's clerk sees it: only the data that item needs."""

    id: int
    case_id: str
    item: str
    item_name: Text
    department: str
    status: str
    opened_at: datetime | None
    decided_by: str | None
    reason: str | None
    fields: dict[str, Any]
    upstream: dict[str, str]


class DecisionCreate(BaseModel):
    decision: str = Field(pattern="^(approve|reject)$", examples=["approve"])
    reason: str | None = Field(None, max_length=500)


class DecisionPublic(BaseModel):
    task_id: int
    item: str
    decision: str
    decided_at: datetime


class ScenarioMetrics(BaseModel):
    scenario: str
    cases: int
    completed: int
    rejected: int
    in_progress: int
    materials_baseline: int
    materials_provided: int
    material_reduction: float | None
    baseline_days: float
    actual_days: float
    time_reduction: float | None
    target_material_reduction: float = 0.53
    target_time_reduction: float = 0.62
