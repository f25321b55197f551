"""Inputs and results of activities (pure pydantic: workflows import them)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from catalog.models import OutputDef


class ItemRequest(BaseModel):
    """What a department receives to perform one item of one case.

    The idempotency key is (case_id, item): performing the same request twice must return
    the first result and never issue a second certificate.
    """

    case_id: str
    scenario: str
    item: str
    department: str
    fields: dict[str, Any] = Field(description="Only the form fields this item declares.")
    upstream: dict[str, str] = Field(default_factory=dict, description="Outputs of other items.")
    outputs: list[OutputDef] = Field(default_factory=list)


class ItemResult(BaseModel):
    item: str
    outputs: dict[str, str]
    issued_at: datetime


class ItemStatus(StrEnum):
    pending = "pending"
    awaiting_review = "awaiting_review"
    running = "running"
    done = "done"
    rejected = "rejected"
    failed = "failed"
    cancelled = "cancelled"


class CaseStatus(StrEnum):
    submitted = "submitted"
    running = "running"
    completed = "completed"
    rejected = "rejected"
    failed = "failed"


class ItemRecord(BaseModel):
    """A transition of one item, written to the read model."""

    case_id: str
    item: str
    status: ItemStatus
    at: datetime
    outputs: dict[str, str] = Field(default_factory=dict)
    reason: str | None = None
    decided_by: str | None = None


class CaseRecord(BaseModel):
    """A transition of the case, written to the read model (with every item's final state)."""

    case_id: str
    status: CaseStatus
    at: datetime
    reason: str | None = None
    items: dict[str, ItemStatus] = Field(default_factory=dict)
