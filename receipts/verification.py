"""Issued outputs as verifiable certificates: what the public page /verify/{code} says of
the code a certificate's QR code carries (the rows are made and stamped revoked with the
read model's item transitions, store/certificates.py).

A certificate is valid while it is not revoked and its item is still done: an item undone
later (compensated after a withdrawal, say) makes its certificates read "revoked" at once,
even before `revoke_certificates` stamps them.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from catalog.loader import Catalog
from domain.statuses import ItemStatus
from domain.text import Text
from store.models import Case, CaseItem, Certificate

CODE_PATTERN = r"^[A-Za-z0-9_-]{22}$"


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
