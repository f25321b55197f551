"""Inputs and results of the scenario workflow, its updates, its query and its department calls
(what a department activity receives and answers)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from catalog.calendar import WorkCalendar
from catalog.models import OutputDef, ReviewPolicy, ScenarioSpec
from domain.statuses import CaseStatus, ItemStatus


class ScenarioInput(BaseModel):
    """A submitted case: the scenario version, calendar and review policy frozen whole."""

    case_id: str
    spec: ScenarioSpec
    form: dict[str, Any]
    submitted_at: datetime
    calendar: WorkCalendar = Field(default_factory=WorkCalendar)
    review: ReviewPolicy = Field(default_factory=ReviewPolicy)
    documents: dict[str, list[str]] = Field(
        default_factory=dict, description="Material -> ids of the documents handed in with it."
    )


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
    documents: dict[str, list[str]] = Field(
        default_factory=dict, description="Material -> ids of the documents handed in with it."
    )
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
    documents: list[str] = Field(
        default_factory=list,
        description="Ids of the documents of this item's materials (the adapter sends links).",
    )


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
    recorded: bool = Field(
        False,
        description="onego's department activity wrote the item done to the read model itself "
        "(activities/department.py), so the workflow does not; never a department's to set.",
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
