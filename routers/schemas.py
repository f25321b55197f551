"""Public response models: what each role may see (never a table model with PII)."""

from typing import Any

from pydantic import BaseModel, Field

from catalog.targets import TARGETS
from domain.text import Text
from forms.messages import Problem
from forms.types import ONE_LINE_PATTERN
from reporting.figures import ScenarioTotals


class ErrorResponse(BaseModel):
    """Every 4xx (and 503): what is wrong, where, and how to fix it, in zh-CN and English.

    The messages stay `Text` from where the refusal is made (`routers.responses.api_error`)
    to the edge: the API answers both languages, or the one Accept-Language asks for
    (middleware/language.py), a page shows the visitor's."""

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


class MaterialSummary(BaseModel):
    """A material the scenario takes: the key an upload is handed in under
    (`CaseCreate.documents`), and whether a shared registry supplies it instead."""

    code: str
    name: Text
    fetched: bool = Field(description="A shared registry supplies it: no upload needed.")


class ScenarioDetail(ScenarioSummary):
    lead_department: str
    items_detail: list[ItemSummary]
    materials_asked: list[Text]
    materials_fetched: list[Text]
    materials: list[MaterialSummary]
    reduction: Reduction


class CaseCreate(BaseModel):
    scenario: str = Field(examples=["newborn"])
    form: dict[str, Any]
    documents: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Material (a code of the scenario's `materials`) -> ids of the applicant's "
        "uploads (POST /api/v1/documents) "
        "handed in as that material; each an upload of theirs that no other case uses.",
        examples=[{"bank_card": ["0b6c1f9e-6a59-4e0e-9f35-1d2a3c4b5d6e"]}],
    )


class ClaimCreate(BaseModel):
    assignee: str | None = Field(
        None,
        max_length=64,
        pattern=ONE_LINE_PATTERN,
        description="Supervisors: the clerk to assign it to (a user name).",
    )


class ScenarioMetrics(ScenarioTotals):
    target_material_reduction: float = TARGETS.material_reduction
    target_time_reduction: float = TARGETS.time_reduction
