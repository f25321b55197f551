"""What the case service answers and takes: the case and task views, their measures and the
applicant's and clerk's requests (the API publishes them as they are; never a table model)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.statuses import CaseStatus, ItemStatus
from domain.text import Text
from forms.types import MULTI_LINE_PATTERN, MultiLine
from workflows.models import Decision, SupplementRequest


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
    due_at: datetime | None = None
    breached: bool = False
    department_days: float = 0.0
    applicant_days: float = 0.0
    supplement: dict[str, Any] | None = Field(
        None, description="What the department asked to correct, while it waits for it."
    )


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
    applicant_days: float = Field(description="Working days spent waiting for the applicant.")
    department_days: float = Field(description="Working days the departments held reviews.")
    breaches: int = Field(description="Reviewed items that passed their promised limit.")


class NotificationPublic(BaseModel):
    id: int
    case_id: str
    kind: str
    text: Text
    created_at: datetime


class CasePublic(BaseModel):
    id: str
    number: str | None = Field(
        description="The number read aloud and printed on the receipt (CQ-20261201-000042); "
        "accepted wherever the id is. None for a case submitted before numbers existed.",
        examples=["CQ-20261201-000042"],
    )
    scenario: str
    scenario_version: int
    status: CaseStatus
    reason: str | None
    submitted_at: datetime
    completed_at: datetime | None
    progress: Progress
    items: list[CaseItemPublic]
    outputs: dict[str, str]
    undone: list[str] = Field(description="Items undone (compensated) when the case stopped.")
    measures: Measures
    notifications: list[NotificationPublic] = Field(default_factory=list)
    certificates: list[str] = Field(
        default_factory=list,
        description="The outputs issued as electronic certificates, for the case's applicant: "
        "GET /api/v1/cases/{number}/certificates/{output}.pdf (a QR code on it verifies it).",
    )
    whole: list[str] = Field(
        default_factory=list,
        description="The personal fields and issued outputs shown whole here (core/masking.py); "
        "every other personal value is masked, e.g. 500103********1229.",
    )


class SupplementCreate(BaseModel):
    """The applicant's answer to a supplement request: exactly the fields and materials asked."""

    item: str
    fields: dict[str, Any] = Field(default_factory=dict)
    materials: list[str] = Field(default_factory=list)
    documents: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Material (one of `materials`) -> ids of the applicant's uploads "
        "(POST /api/v1/documents) handed in as that material.",
    )


class DocumentRef(BaseModel):
    """A document handed in for a task's item: what it is, and where its content is read
    (GET /api/v1/documents/{id}, audited)."""

    id: str
    name: str
    material: str | None
    material_name: Text | None
    content_type: str
    size: int
    supplement: bool = Field(description="Handed in with a supplement of this item.")


class WithdrawCreate(BaseModel):
    reason: MultiLine = Field(
        min_length=1, max_length=500, json_schema_extra={"pattern": MULTI_LINE_PATTERN}
    )


class TaskPublic(BaseModel):
    """A reviewed item as its department's clerk sees it: only the data that item needs."""

    id: int
    case_id: str
    case_number: str | None = Field(description="The case's number (None before numbers).")
    item: str
    item_name: Text
    department: str
    status: str
    opened_at: datetime | None
    due_at: datetime | None
    decided_at: datetime | None = Field(
        None, description="When the task was decided or cancelled (None while not closed)."
    )
    remaining_working_days: float | None = Field(
        description="Working days left before the promised limit; negative when overdue; "
        "None for a closed task."
    )
    overdue: bool
    breached: bool
    holder: str | None
    decided_by: str | None
    reason_code: str | None
    reason: str | None
    supplement: dict[str, Any] | None
    department_days: float
    applicant_days: float
    fields: dict[str, Any]
    upstream: dict[str, str]
    materials: list[Text]
    documents: list[DocumentRef] = Field(
        default_factory=list, description="The documents of this item (on the task itself)."
    )
    whole: list[str] = Field(
        default_factory=list,
        description="The personal fields and issued outputs shown whole here (core/masking.py); "
        "every other personal value is masked, e.g. 500103********1229.",
    )


class DecisionCreate(BaseModel):
    """approve (optional review `data`), reject (`reason_code` from the catalog's list and
    `reason`), or supplement (`supplement`: fields/materials of this item and a note)."""

    decision: Decision = Field(examples=["approve"])
    reason_code: str | None = Field(None, max_length=64, examples=["materials_inconsistent"])
    reason: MultiLine | None = Field(
        None, max_length=500, json_schema_extra={"pattern": MULTI_LINE_PATTERN}
    )
    data: dict[str, str] = Field(default_factory=dict)
    supplement: SupplementRequest | None = None


class DecisionPublic(BaseModel):
    task_id: int
    item: str
    decision: str
    decided_at: datetime
