"""Tables of the read model. Timestamps are timezone-aware UTC."""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Table, UniqueConstraint, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from domain.statuses import CaseStatus, EventKind, ItemStatus
from store.sealed import SealedJSON


def utcnow() -> datetime:
    return datetime.now(UTC)


class AwareDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _ts(**kwargs: Any) -> Any:
    return Field(sa_column=Column(AwareDateTime(), **kwargs))


class Role(StrEnum):
    applicant = "applicant"
    clerk = "clerk"
    supervisor = "supervisor"
    manager = "manager"
    admin = "admin"
    auditor = "auditor"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    password_hash: str
    role: Role
    department: str | None = Field(default=None, max_length=64)
    display_name: str = ""
    resident_id: str | None = Field(default=None, max_length=18, description="Registry key")
    credit_code: str | None = Field(default=None, max_length=18, description="For businesses")
    email: str | None = Field(default=None, max_length=254, description="For notifications")
    # sign-in security (core/sign_in.py): tokens of an older version are refused; disabled
    # users cannot sign in (users are never deleted); the TOTP secret sealed with the key ring
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    disabled: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    totp_sealed: bytes | None = Field(default=None, description="Sealed TOTP secret")
    totp_last_step: int | None = Field(default=None, description="Last TOTP step used")


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins per account name or client address (`kind` "account" or "client"),
    kept in the database so a lock holds across restarts and API processes."""

    __tablename__ = "sign_in_throttle"

    kind: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=128)
    failures: int = 0
    last_failure: datetime = _ts(nullable=False)
    locked_until: datetime | None = _ts(nullable=True)


class Case(SQLModel, table=True):
    """One application of one scenario (办件); one workflow execution."""

    __table_args__ = (
        UniqueConstraint("applicant_id", "idempotency_key"),
        # the open cases (/metrics, GET /metrics/scenarios), the slowest cases (dashboard)
        Index("ix_case_metrics", "status", "scenario", "actual_days"),
    )

    id: str = Field(primary_key=True, max_length=64)
    scenario: str = Field(index=True, max_length=64)
    scenario_version: int
    applicant_id: int = Field(foreign_key="user.id", index=True)
    idempotency_key: str | None = Field(default=None, max_length=128)
    request_hash: str = Field(max_length=64)
    status: CaseStatus = Field(default=CaseStatus.submitted, index=True)
    reason: str | None = None
    form: dict[str, Any] = Field(sa_column=Column(SealedJSON("case.form"), nullable=False))
    submitted_at: datetime = _ts(nullable=False, index=True)
    started_at: datetime | None = _ts(nullable=True)  # its workflow started (workflow time)
    completed_at: datetime | None = _ts(nullable=True)
    materials_baseline: int
    materials_provided: int
    fields_baseline: int
    fields_typed: int
    baseline_days: float
    actual_days: float | None = None
    applicant_days: float = 0.0
    department_days: float = 0.0
    breaches: int = 0
    undone: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # when retention erased its personal data (store/retention.py); its figures stay
    erased_at: datetime | None = _ts(nullable=True)
    # the number read aloud and printed on the receipt (store/case_numbers.py)
    number: str | None = Field(default=None, unique=True, index=True, max_length=32)


# Items waiting for a department or the applicant (the partial index below).
OPEN_ITEMS = "status IN ('awaiting_review', 'awaiting_supplement')"


class CaseItem(SQLModel, table=True):
    """One item of one case, with its status and the outputs it issued."""

    __tablename__ = "case_item"
    __table_args__ = (
        # a case's items (the rollups, /metrics reads the open cases' items by it)
        UniqueConstraint("case_id", "item"),
        # open tasks are few among millions of items: the dashboard's backlog per department
        # (reporting/queries.py, whose query repeats this condition word for word)
        Index(
            "ix_case_item_open",
            "department",
            "status",
            "due_at",
            sqlite_where=text(OPEN_ITEMS),
            postgresql_where=text(OPEN_ITEMS),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=64)
    item: str = Field(max_length=64)
    position: int
    department: str = Field(index=True, max_length=64)
    mode: str = Field(max_length=16)
    status: ItemStatus = Field(default=ItemStatus.pending, index=True)
    outputs: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(SealedJSON("case_item.outputs"), nullable=False)
    )
    reason: str | None = None
    reason_code: str | None = Field(default=None, max_length=64)
    decided_by: str | None = None
    holder: str | None = Field(default=None, max_length=64)
    opened_at: datetime | None = _ts(nullable=True)
    # when the item became ready: its task opened (reviewed) or its last prerequisite was done
    started_at: datetime | None = _ts(nullable=True)
    due_at: datetime | None = _ts(nullable=True, index=True)
    completed_at: datetime | None = _ts(nullable=True)
    elapsed_days: float | None = None  # working days from started_at to its end
    department_days: float = 0.0
    applicant_days: float = 0.0
    breached: bool = False
    reminded_at: datetime | None = _ts(nullable=True)
    escalated_at: datetime | None = _ts(nullable=True)
    supplement: dict[str, Any] | None = Field(
        default=None, sa_column=Column(SealedJSON("case_item.supplement"))
    )


class CaseEvent(SQLModel, table=True):
    """The case's log: every transition, who caused it and when (workflow time)."""

    __tablename__ = "case_event"
    __table_args__ = (UniqueConstraint("case_id", "item", "kind", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=64)
    item: str = Field(default="", max_length=64)
    kind: EventKind
    at: datetime = _ts(nullable=False)
    actor: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(SealedJSON("case_event.detail"), nullable=False)
    )


# -- pre-aggregated figures of the reform dashboard (store/rollups.py keeps them) ---------
# One row per key; `day` is the day the case was submitted, in China time. Each figure is
# kept twice: in the row of its day (grain 1) and of its month (grain 2, `day` = the month's
# first day), so a long period reads whole months and only its edge days. A case counts once
# its workflow has started (status other than `submitted`); its items and end-to-end days
# count once it has ended. Every row can be rebuilt from the tables above.


class CaseDay(SQLModel, table=True):
    """Cases per (submission day, scenario, status), with the sums the dashboard divides."""

    __tablename__ = "rollup_case_day"
    __table_args__ = {"sqlite_with_rowid": False}

    grain: int = Field(primary_key=True)  # 1 day, 2 month
    day: date = Field(primary_key=True)
    scenario: str = Field(primary_key=True, max_length=64)
    status: CaseStatus = Field(primary_key=True)
    cases: int = 0
    materials_baseline: int = 0
    materials_provided: int = 0
    baseline_days: float = 0.0
    actual_days: float = 0.0  # ended cases only
    applicant_days: float = 0.0
    department_days: float = 0.0
    breaches: int = 0


class CaseDaysBucket(SQLModel, table=True):
    """Completed cases per (submission day, scenario, end-to-end working days rounded up to
    a tenth): the histogram that medians and 90th percentiles of any period are read from."""

    __tablename__ = "rollup_case_days"
    __table_args__ = {"sqlite_with_rowid": False}

    grain: int = Field(primary_key=True)  # 1 day, 2 month
    day: date = Field(primary_key=True)
    scenario: str = Field(primary_key=True, max_length=64)
    tenths: int = Field(primary_key=True)  # ceil(actual_days * 10)
    cases: int = 0


class ItemDay(SQLModel, table=True):
    """Items of ended cases per (submission day, scenario, department, item): how long they
    took, SLA breaches of reviewed items, and their share of the critical path."""

    __tablename__ = "rollup_item_day"
    __table_args__ = {"sqlite_with_rowid": False}

    grain: int = Field(primary_key=True)  # 1 day, 2 month
    day: date = Field(primary_key=True)
    scenario: str = Field(primary_key=True, max_length=64)
    department: str = Field(primary_key=True, max_length=64)
    item: str = Field(primary_key=True, max_length=64)
    items: int = 0  # items that ran (started and ended)
    duration_days: float = 0.0  # working days from ready to end
    department_days: float = 0.0
    applicant_days: float = 0.0
    reviewed: int = 0  # reviewed items a clerk decided (approved or rejected)
    breached: int = 0  # ... of which past their promised limit
    critical: int = 0  # times on the critical path of a completed case
    critical_days: float = 0.0  # working days it added to those cases
    critical_applicant_days: float = 0.0  # ... of which the applicant's supplement time


class ItemDoneDay(SQLModel, table=True):
    """Items of ended cases per (submission day, department, item, mode, bucket), for the
    Prometheus histogram of done items' working days and the breach counter
    (core/prometheus.py): `bucket` is the index of the first bound of
    `rollups.DURATION_BUCKETS` not below the item's `elapsed_days` (their number when above
    them all); -1 holds the items that did not end done, for their breaches alone."""

    __tablename__ = "rollup_item_done_day"
    __table_args__ = {"sqlite_with_rowid": False}

    grain: int = Field(primary_key=True)  # 1 day, 2 month
    day: date = Field(primary_key=True)
    department: str = Field(primary_key=True, max_length=64)
    item: str = Field(primary_key=True, max_length=64)
    mode: str = Field(primary_key=True, max_length=16)
    bucket: int = Field(primary_key=True)
    items: int = 0  # done items (with their elapsed days)
    elapsed_days: float = 0.0  # their working days, ready to done
    breached: int = 0  # items past their promised limit, done or not


class Audience(StrEnum):
    applicant = "applicant"
    department = "department"
    supervisor = "supervisor"


class Notification(SQLModel, table=True):
    """A message to the applicant or a department (embedded notifier: stored, shown in pages;
    the SMTP notifier sends the unsent ones)."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="case_event.id", index=True)
    case_id: str = Field(index=True, max_length=64)
    audience: Audience
    applicant_id: int | None = Field(default=None, index=True)
    department: str | None = Field(default=None, index=True, max_length=64)
    kind: EventKind
    text: dict[str, str] = Field(sa_column=Column(SealedJSON("notification.text"), nullable=False))
    created_at: datetime = _ts(nullable=False)
    sent_at: datetime | None = _ts(nullable=True)


class SimulatedIssue(SQLModel, table=True):
    """Ledger of the simulated department back-ends: one row per (case, item) ever issued."""

    __tablename__ = "simulated_issue"
    __table_args__ = (UniqueConstraint("case_id", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    department: str = Field(max_length=64)
    case_id: str = Field(max_length=64, index=True)
    item: str = Field(max_length=64)
    outputs: dict[str, str] = Field(
        sa_column=Column(SealedJSON("simulated_issue.outputs"), nullable=False)
    )
    issued_at: datetime = _ts(nullable=False)
    # A back-end that takes time issues at this time (workflow time); None: at once.
    ready_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)
    revoke_reason: str | None = None


class Span(SQLModel, table=True):
    """A finished OpenTelemetry span, kept by the embedded span store (store/spans.py).

    Ids are lower-case hex as in W3C trace context; attributes, events and links are JSON,
    scrubbed of personal data before they are written (core/telemetry.py).
    """

    id: int | None = Field(default=None, primary_key=True)
    trace_id: str = Field(index=True, max_length=32)
    span_id: str = Field(max_length=16)
    parent_id: str | None = Field(default=None, max_length=16)
    name: str = Field(index=True, max_length=255)
    kind: str = Field(max_length=16)
    service: str = Field(default="", max_length=64)
    start: datetime = _ts(nullable=False, index=True)
    end: datetime = _ts(nullable=False)
    duration_ms: float
    status: str = Field(default="unset", max_length=8)
    status_message: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    events: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    links: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class AuditEvent(SQLModel, table=True):
    """One row of the append-only audit trail (store/audit.py writes and verifies it).

    `hash` is SM3(prev_hash ‖ the row's canonical JSON); the database refuses UPDATE and
    DELETE of these rows (migration 0005). `detail` never holds personal data.
    """

    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True)  # strictly increasing, gapless: 1, 2, 3, ...
    at: datetime = _ts(nullable=False, index=True)
    actor_id: int | None = None
    actor_name: str = Field(default="", max_length=64, index=True)
    role: str = Field(default="", max_length=16)
    department: str = Field(default="", max_length=64)
    action: str = Field(max_length=64, index=True)
    object_type: str = Field(default="", max_length=32)
    object_id: str = Field(default="", max_length=128, index=True)
    outcome: str = Field(default="success", max_length=8)
    client: str = Field(default="", max_length=64)
    request_id: str = Field(default="", max_length=64)
    detail: str = ""
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class CaseNumberDay(SQLModel, table=True):
    """The last case number allocated per place code and day (store/case_numbers.py)."""

    __tablename__ = "case_number_day"

    place: str = Field(primary_key=True, max_length=8)
    day: date = Field(primary_key=True)
    last: int = 0


class Document(SQLModel, table=True):
    """An uploaded material (documents/): its content sealed in the document store under its
    SHA-256; the case, item and material once a form or a supplement references it."""

    id: str = Field(primary_key=True, max_length=36)
    owner_id: int = Field(foreign_key="user.id", index=True)
    sha256: str = Field(index=True, max_length=64)
    content_type: str = Field(max_length=32)
    size: int
    # the sanitized display name (a file name may name a person): sealed like the form
    name: str = Field(sa_column=Column(SealedJSON("document.name"), nullable=False))
    created_at: datetime = _ts(nullable=False)
    case_id: str | None = Field(default=None, foreign_key="case.id", index=True, max_length=64)
    item: str | None = Field(default=None, max_length=64)
    material: str | None = Field(default=None, max_length=64)


class Certificate(SQLModel, table=True):
    """An issued output as an electronic certificate (receipts/): its unguessable `code` is
    what the certificate's QR code opens at /verify/{code}."""

    __table_args__ = (UniqueConstraint("case_id", "item", "output"),)

    code: str = Field(primary_key=True, max_length=32)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=64)
    item: str = Field(max_length=64)
    output: str = Field(max_length=64)
    department: str = Field(max_length=64)
    issued_at: datetime = _ts(nullable=False)
    revoked_at: datetime | None = _ts(nullable=True)


class Draft(SQLModel, table=True):
    """An applicant's unfinished unified form (web/drafts.py): the raw answers sealed like a
    case's form, one per applicant and scenario."""

    __table_args__ = (UniqueConstraint("owner_id", "scenario"),)

    id: str = Field(primary_key=True, max_length=36)
    owner_id: int = Field(foreign_key="user.id", index=True)
    scenario: str = Field(max_length=64)
    answers: dict[str, Any] = Field(sa_column=Column(SealedJSON("draft.answers"), nullable=False))
    updated_at: datetime = _ts(nullable=False)


# Tables as Core tables, for statements that need no ORM objects.
CASE: Table = Case.__table__  # type: ignore[attr-defined]
ITEM: Table = CaseItem.__table__  # type: ignore[attr-defined]
EVENT: Table = CaseEvent.__table__  # type: ignore[attr-defined]
NOTIFICATION: Table = Notification.__table__  # type: ignore[attr-defined]
SPAN: Table = Span.__table__  # type: ignore[attr-defined]
CERTIFICATE: Table = Certificate.__table__  # type: ignore[attr-defined]
SIMULATED_ISSUE: Table = SimulatedIssue.__table__  # type: ignore[attr-defined]
