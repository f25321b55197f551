"""A case with personal data in every sealed column, written straight to the read model
(the sealing and retention tests; no workflow needed)."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from catalog.loader import get_catalog
from catalog.models import PiiClass
from domain.statuses import CaseStatus, EventKind, ItemStatus
from store.models import (
    Audience,
    Case,
    CaseEvent,
    CaseItem,
    Notification,
    Role,
    SimulatedIssue,
    User,
)
from tests.helpers import newborn_form

BABY_ID = "500103202611200013"  # the issued output that identifies the baby
REASON = "母亲李芳的身份证号码500103199803071229有误"  # a clerk's free text naming a person
# the plain `reason` columns (not sealed: a reason is chosen from the catalog's codes and text)
PLAIN_REASON = "材料不一致 / materials inconsistent"


def personal_values(form: dict[str, Any]) -> list[str]:
    """The form's values of fields the dictionary classes as personal or sensitive, with
    the issued ID number and the free text: what must never be readable at rest."""
    fields = get_catalog(None).fields
    values = [
        str(value)
        for code, value in form.items()
        if code in fields and fields[code].pii is not PiiClass.none and len(str(value)) >= 2
    ]
    return [*values, BABY_ID, REASON]


def store_case(
    engine: Engine,
    status: CaseStatus = CaseStatus.completed,
    completed_at: datetime | None = None,
    submitted_at: datetime | None = None,
) -> tuple[str, dict[str, Any]]:
    """A newborn case with one issued item, its event, a notification and the simulated
    back-end's ledger row; returns its id and form."""
    form = newborn_form()
    now = datetime.now(UTC)
    submitted_at = submitted_at or completed_at or now
    case_id = str(uuid.uuid4())
    outputs = {"citizen_id": BABY_ID, "hukou_no": "HK-0001"}
    with Session(engine) as session:
        user = User(username=f"a-{case_id[:12]}", password_hash="x", role=Role.applicant)
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(
            Case(
                id=case_id,
                scenario="newborn",
                scenario_version=1,
                applicant_id=user.id,
                request_hash="0" * 64,
                status=status,
                reason=PLAIN_REASON if status is CaseStatus.rejected else None,
                form=form,
                submitted_at=submitted_at,
                started_at=submitted_at,
                completed_at=completed_at,
                materials_baseline=30,
                materials_provided=3,
                fields_baseline=120,
                fields_typed=20,
                baseline_days=60.0,
                actual_days=4.5 if completed_at else None,
                applicant_days=1.0,
                department_days=2.0,
                breaches=1,
            )
        )
        session.flush()
        session.add(
            CaseItem(
                case_id=case_id,
                item="household_registration",
                position=4,
                department="public-security",
                mode="reviewed",
                status=ItemStatus.done,
                outputs=outputs,
                reason=PLAIN_REASON,
                decided_by="clerk-1",
                opened_at=submitted_at,
                started_at=submitted_at,
                completed_at=completed_at,
                elapsed_days=2.0,
                department_days=2.0,
                supplement={"fields": ["mother_id"], "materials": [], "note": REASON},
            )
        )
        event = CaseEvent(
            case_id=case_id,
            item="household_registration",
            kind=EventKind.done,
            at=completed_at or now,
            actor="clerk-1",
            detail={"status": "done", "outputs": outputs, "reason": REASON},
        )
        session.add(event)
        session.flush()
        assert event.id is not None
        session.add(
            Notification(
                event_id=event.id,
                case_id=case_id,
                audience=Audience.applicant,
                applicant_id=user.id,
                kind=EventKind.done,
                text={"zh": f"已办结：{REASON}", "en": f"Done: {REASON}"},
                created_at=completed_at or now,
            )
        )
        session.add(
            SimulatedIssue(
                department="public-security",
                case_id=case_id,
                item="household_registration",
                outputs=outputs,
                issued_at=completed_at or now,
            )
        )
        session.commit()
    return case_id, form
