"""Drafts of the unified form: an applicant's raw answers kept sealed on the server (the
`draft` table), one per scenario, until the form is submitted or the draft replaced.

Bounded: at most `MAX_DRAFTS` scenarios per applicant and `MAX_BYTES` of answers a draft;
only the form's own fields are kept (no files: a draft keeps no uploads).
"""

import json
import uuid
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, func, select

from domain.text import Text
from store.models import Draft, User, utcnow
from web.i18n import both

MAX_DRAFTS = 5
MAX_BYTES = 32 * 1024


class DraftRefused(Exception):
    """The draft was not kept; `message` says why."""

    def __init__(self, message: Text):
        self.message = message
        super().__init__(message.en)


def save_draft(
    session: Session, user: User, scenario: str, answers: dict[str, Any], fields: Iterable[str]
) -> Draft:
    """Keep `answers` (only the form's `fields`) as the applicant's draft of `scenario`."""
    kept = {code: answers[code] for code in fields if answers.get(code) not in (None, "")}
    if len(json.dumps(kept, ensure_ascii=False).encode()) > MAX_BYTES:
        raise DraftRefused(both("form.draft_too_large", kib=MAX_BYTES // 1024))
    assert user.id is not None
    draft = session.exec(
        select(Draft).where(Draft.owner_id == user.id, Draft.scenario == scenario)
    ).first()
    if draft is None:
        count = session.exec(select(func.count()).where(Draft.owner_id == user.id)).one()
        if count >= MAX_DRAFTS:
            raise DraftRefused(both("form.draft_too_many", count=MAX_DRAFTS))
        draft = Draft(id=str(uuid.uuid4()), owner_id=user.id, scenario=scenario, answers={})
    draft.answers, draft.updated_at = kept, utcnow()
    session.add(draft)
    session.commit()
    session.refresh(draft)
    return draft


def draft_of(session: Session, user: User, draft_id: str, scenario: str) -> Draft | None:
    """The applicant's own draft of `scenario` with this id (None for anyone else's)."""
    draft = session.get(Draft, draft_id[:36])
    if draft is None or draft.owner_id != user.id or draft.scenario != scenario:
        return None
    return draft


def drafts_of(session: Session, user: User) -> list[Draft]:
    """The applicant's drafts, the latest first."""
    query = select(Draft).where(Draft.owner_id == user.id)
    return list(session.exec(query.order_by(col(Draft.updated_at).desc())))


def drop_draft(session: Session, user: User, scenario: str) -> None:
    """Forget the applicant's draft of `scenario` (the form was submitted)."""
    draft = session.exec(
        select(Draft).where(Draft.owner_id == user.id, Draft.scenario == scenario)
    ).first()
    if draft is not None:
        session.delete(draft)
        session.commit()
