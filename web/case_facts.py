"""What My cases and a case page say about a case besides its status: whom it is about,
whether it waits for the applicant, and why it was rejected.

The subject is the form field the catalog's subjects.yaml names for the scenario (the baby's
name, the firm's name), masked as lists mask a personal field (security/masking.py).
"""

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from cases.models import CasePublic
from catalog.loader import Catalog
from domain.statuses import CaseStatus, EventKind
from domain.text import Text
from security.masking import mask_value
from store.models import CaseEvent

# a case ended so that applying again with its answers is the way on
AGAIN = {CaseStatus.rejected, CaseStatus.not_supplemented}


def subject_of(catalog: Catalog, scenario: str, form: Mapping[str, Any]) -> str | None:
    """The case's subject as a list may show it (a personal name masked), if known."""
    field = catalog.subjects.get(scenario)
    value = form.get(field) if field else None
    if not value:
        return None
    return str(mask_value(catalog.fields.get(field or ""), value))


def action_needed(case: CasePublic) -> bool:
    """An item waits for the applicant's supplement."""
    return any(item.supplement is not None for item in case.items)


def rejection_of(session: Session, catalog: Catalog, case_id: str) -> Text | None:
    """The category of the case's latest rejection (the reason code's label), if any."""
    query = select(CaseEvent.detail).where(
        CaseEvent.case_id == case_id, CaseEvent.kind == EventKind.rejected
    )
    for detail in session.exec(query.order_by(col(CaseEvent.at).desc()).limit(1)):
        return catalog.review.reject_reasons.get(str(detail.get("reason_code") or ""))
    return None
