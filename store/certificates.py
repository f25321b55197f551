"""Issued outputs as certificates (receipts/): one row of `certificate` per output, made with
the read model's write of the item done (store/case_writes.py), with an unguessable code
(128 random bits) that the certificate's QR code carries to /verify/{code}; stamped revoked
when the item is compensated. Rows are kept, never deleted."""

import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from store.models import CaseItem, Certificate, utcnow


def new_code() -> str:
    """128 random bits, URL-safe: 22 characters."""
    return secrets.token_urlsafe(16)


def issue_certificates(
    session: Session, row: CaseItem, at: datetime | None = None
) -> list[Certificate]:
    """The certificates of every output the item issued, made once (those already there are
    kept, with their codes); added to the caller's transaction."""
    made = {
        c.output: c
        for c in session.exec(
            select(Certificate).where(
                Certificate.case_id == row.case_id, Certificate.item == row.item
            )
        )
    }
    for output in row.outputs:
        if output not in made:
            made[output] = Certificate(
                code=new_code(),
                case_id=row.case_id,
                item=row.item,
                output=output,
                department=row.department,
                issued_at=at or row.completed_at or utcnow(),
            )
            session.add(made[output])
    return [made[output] for output in row.outputs]


def revoke_certificates(session: Session, case_id: str, item: str, at: datetime) -> int:
    """Stamp the item's certificates revoked (kept, never deleted); returns how many."""
    rows = session.exec(
        select(Certificate).where(
            Certificate.case_id == case_id,
            Certificate.item == item,
            col(Certificate.revoked_at).is_(None),
        )
    ).all()
    for certificate in rows:
        certificate.revoked_at = at
        session.add(certificate)
    return len(rows)
