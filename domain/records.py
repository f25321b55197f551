"""Transitions of items and cases as the workflow reports them to the read model."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.statuses import CaseStatus, EventKind, ItemStatus


class ItemRecord(BaseModel):
    """A transition of one item, written to the read model with its event.

    Fields left None are unchanged in the read model.
    """

    case_id: str
    item: str
    event: EventKind
    status: ItemStatus
    at: datetime
    outputs: dict[str, str] = Field(default_factory=dict)
    reason: str | None = None
    reason_code: str | None = None
    actor: str | None = None
    holder: str | None = None
    due_at: datetime | None = None
    department_days: float | None = None
    applicant_days: float | None = None
    breached: bool | None = None
    supplement: dict[str, Any] | None = None


class CaseRecord(BaseModel):
    """A transition of the case, written to the read model (with every item's final state)."""

    case_id: str
    status: CaseStatus
    at: datetime
    reason: str | None = None
    items: dict[str, ItemStatus] = Field(default_factory=dict)
    applicant_days: float = 0.0
    department_days: float = 0.0
    breaches: int = 0
    undone: list[str] = Field(default_factory=list)
