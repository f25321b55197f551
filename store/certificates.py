"""Issued outputs as certificates (receipts/): one row of `certificate` per output, made with
the read model's write of the item done (store/case_writes.py), with an unguessable code
(128 random bits) that the certificate's QR code carries to /verify/{code}; stamped revoked
when the item is compensated. Rows are kept, never deleted."""

import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from store.db import insert, once_per_dialect
from store.models import CERTIFICATE, CaseItem, Certificate, utcnow

_certificate_insert = once_per_dialect(
    lambda connection: insert(connection, CERTIFICATE).on_conflict_do_nothing()
)


def new_code() -> str:
    """128 random bits, URL-safe: 22 characters."""
    return secrets.token_urlsafe(16)


def issue_certificates(session: Session, row: CaseItem, at: datetime | None = None) -> None:
    """Make the certificate of every output the item issued, once: an output that has one
    keeps it and its code (one insert-or-nothing statement in the caller's transaction)."""
    issued_at = at or row.completed_at or utcnow()
    rows = [
        {
            "code": new_code(),
            "case_id": row.case_id,
            "item": row.item,
            "output": output,
            "department": row.department,
            "issued_at": issued_at,
        }
        for output in row.outputs
    ]
    if rows:
        connection = session.connection()
        connection.execute(_certificate_insert(connection), rows)


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
