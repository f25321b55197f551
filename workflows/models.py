"""Inputs and results of the scenario workflow, its updates and its query."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from activities.models import CaseStatus, ItemStatus
from catalog.calendar import WorkCalendar
from catalog.models import ReviewPolicy, ScenarioSpec


class ScenarioInput(BaseModel):
    """A submitted case: the scenario version, calendar and review policy frozen whole."""

    case_id: str
    spec: ScenarioSpec
    form: dict[str, Any]
    submitted_at: datetime
    calendar: WorkCalendar = Field(default_factory=WorkCalendar)
    review: ReviewPolicy = Field(default_factory=ReviewPolicy)


class ScenarioResult(BaseModel):
    case_id: str
    status: CaseStatus
    reason: str | None = None
    outputs: dict[str, str] = Field(default_factory=dict)
    undone: list[str] = Field(default_factory=list)


class Decision(StrEnum):
    approve = "approve"
    reject = "reject"
    supplement = "supplement"


class SupplementRequest(BaseModel):
    """What the applicant must correct (补正): fields to re-enter, materials to provide."""

    fields: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)
    note: str = Field(min_length=1, description="What is wrong, for the applicant.")


class Actor(BaseModel):
    """Who acts, as the API authenticated them. It travels inside the update's payload, which
    the payload codec seals (core/codec.py): a caller without the data key cannot make one the
    worker accepts. Optional, so updates recorded before it was added still decode."""

    user_id: int
    username: str
    role: str
    department: str | None = None


class DecideInput(BaseModel):
    """A clerk's decision on a reviewed item, delivered as a validated update."""

    item: str
    decision: Decision
    clerk: str
    department: str
    reason_code: str | None = None
    reason: str | None = None
    data: dict[str, str] = Field(default_factory=dict, description="Review data for approval.")
    supplement: SupplementRequest | None = None
    actor: Actor | None = None


class DecideResult(BaseModel):
    item: str
    decision: Decision
    decided_at: datetime


class ClaimInput(BaseModel):
    """A clerk takes a task; a supervisor may assign it to another clerk (`assignee`)."""

    item: str
    clerk: str
    department: str
    supervisor: bool = False
    assignee: str | None = None
    actor: Actor | None = None


class ClaimResult(BaseModel):
    item: str
    holder: str


class SupplementInput(BaseModel):
    """The applicant's answer to a supplement request: exactly what was asked."""

    item: str
    fields: dict[str, Any] = Field(default_factory=dict)
    materials: list[str] = Field(default_factory=list)
    actor: Actor | None = None


class WithdrawInput(BaseModel):
    reason: str = Field(min_length=1)
    actor: Actor | None = None


class ItemProgress(BaseModel):
    status: ItemStatus
    holder: str | None = None
    due_at: datetime | None = None
    department_days: float = 0.0
    applicant_days: float = 0.0
    breached: bool = False


class CaseProgress(BaseModel):
    """Live state of a case, as the workflow holds it (query)."""

    status: CaseStatus
    items: dict[str, ItemProgress]
    outputs: dict[str, str]
    reason: str | None = None
