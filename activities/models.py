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
    review: dict[str, str] = Field(default_factory=dict, description="A clerk's approval data.")


class ItemResult(BaseModel):
    """A department's answer: the item's outputs, or (`ready_at` set) a promise to issue.

    A back-end that takes time (card production, a nightly batch) answers at once with
    `ready_at` and no outputs: it accepted the request and issues at that time. The workflow
    waits for it on a durable timer and performs the same request again then; the back-end,
    idempotent by (case_id, item), answers with the issue, or with a later `ready_at`.
    """

    item: str
    outputs: dict[str, str]
    issued_at: datetime
    ready_at: datetime | None = Field(
        None, description="Accepted, not issued yet: ask again at this time."
    )


class CompensationRequest(BaseModel):
    """Undo one item's effect (saga step); idempotent by (case_id, item) like the issue."""

    case_id: str
    item: str
    department: str
    outputs: dict[str, str] = Field(default_factory=dict)
    reason: str


class CompensationResult(BaseModel):
    item: str
    revoked: bool
    revoked_at: datetime | None = None


class ItemStatus(StrEnum):
    pending = "pending"
    awaiting_review = "awaiting_review"
    awaiting_supplement = "awaiting_supplement"
    running = "running"
    done = "done"
    rejected = "rejected"
    failed = "failed"
    cancelled = "cancelled"
    compensated = "compensated"


class CaseStatus(StrEnum):
    submitted = "submitted"
    running = "running"
    completed = "completed"
    partially_completed = "partially_completed"
    rejected = "rejected"
    not_supplemented = "not_supplemented"
    withdrawn = "withdrawn"
    failed = "failed"


class EventKind(StrEnum):
    """What happened; each event is kept in the case's log and may notify someone."""

    task_opened = "task_opened"
    claimed = "claimed"
    reminder = "reminder"
    escalation = "escalation"
    supplement_requested = "supplement_requested"
    supplement_received = "supplement_received"
    supplement_expired = "supplement_expired"
    approved = "approved"
    done = "done"
    rejected = "rejected"
    failed = "failed"
    cancelled = "cancelled"
    compensated = "compensated"
    case_started = "case_started"
    case_finished = "case_finished"


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
