"""Inputs and results of the scenario workflow, its update and its query."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from activities.models import CaseStatus, ItemStatus
from catalog.models import ScenarioSpec


class ScenarioInput(BaseModel):
    """A submitted case: the scenario version frozen whole, and the validated form."""

    case_id: str
    spec: ScenarioSpec
    form: dict[str, Any]
    submitted_at: datetime


class ScenarioResult(BaseModel):
    case_id: str
    status: CaseStatus
    reason: str | None = None
    outputs: dict[str, str] = Field(default_factory=dict)


class Decision(StrEnum):
    approve = "approve"
    reject = "reject"


class DecideInput(BaseModel):
    """A clerk's decision on a reviewed item, delivered as a validated update."""

    item: str
    decision: Decision
    reason: str | None = None
    clerk: str
    department: str


class DecideResult(BaseModel):
    item: str
    decision: Decision
    decided_at: datetime


class CaseProgress(BaseModel):
    """Live state of a case, as the workflow holds it (query)."""

    status: CaseStatus
    items: dict[str, ItemStatus]
    outputs: dict[str, str]
    reason: str | None = None
