"""The statuses of cases and items and the kinds of events: the vocabulary every layer speaks."""

from enum import StrEnum


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
