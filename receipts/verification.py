"""Issued outputs as verifiable certificates: one row of `certificate` per output, with an
unguessable code (128 random bits) that the certificate's QR code carries to /verify/{code}.

A certificate is valid while it is not revoked and its item is still done: an item undone
later (compensated after a withdrawal, say) makes its certificates read "revoked" at once,
even before `revoke_certificates` stamps them.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from catalog.loader import Catalog
from domain.statuses import ItemStatus
from domain.text import Text
from store.models import Case, CaseItem, Certificate, utcnow

CODE_PATTERN = r"^[A-Za-z0-9_-]{22}$"


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


def output_label(catalog: Catalog, case: Case, item: str, output: str) -> Text:
    """What the output is called (出生医学证明 / Birth medical certificate)."""
    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    return next(o.label for o in spec.item(item).outputs if o.code == output)


@dataclass(frozen=True)
class CertificateStatus:
    """What the public verification page shows: no holder, no number, no case."""

    valid: bool
    title: Text
    department: Text
    issued_at: datetime
    revoked_at: datetime | None


def certificate_status(session: Session, catalog: Catalog, code: str) -> CertificateStatus | None:
    """The status of the certificate with `code`; None if there is none."""
    certificate = session.get(Certificate, code)
    if certificate is None:
        return None
    case = session.get(Case, certificate.case_id)
    assert case is not None
    row = session.exec(
        select(CaseItem).where(
            CaseItem.case_id == certificate.case_id, CaseItem.item == certificate.item
        )
    ).first()
    done = row is not None and row.status == ItemStatus.done
    return CertificateStatus(
        valid=done and certificate.revoked_at is None,
        title=output_label(catalog, case, certificate.item, certificate.output),
        department=catalog.departments[certificate.department].name,
        issued_at=certificate.issued_at,
        revoked_at=certificate.revoked_at,
    )
