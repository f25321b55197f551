"""An issued output as an electronic certificate (电子证照): its number, holder, issuing
department and date, and a QR code to the public verification page /verify/{code}."""

from dataclasses import dataclass
from datetime import datetime

from catalog.loader import Catalog
from domain.text import Text
from receipts.rendering import qr_data_uri, render_pdf
from receipts.verification import output_label
from store.models import Case, CaseItem, Certificate


@dataclass(frozen=True)
class CertificateSheet:
    title: Text
    number: str
    holder: str
    department: Text
    issued_at: datetime
    case_number: str
    verify_url: str


def verify_url(public_url: str, code: str) -> str:
    return f"{public_url}/verify/{code}"


def build_certificate(
    catalog: Catalog,
    certificate: Certificate,
    case: Case,
    row: CaseItem,
    holder: str,
    public_url: str,
) -> CertificateSheet:
    """The certificate of one output of `row` (the item that issued it), for `holder`."""
    return CertificateSheet(
        title=output_label(catalog, case, certificate.item, certificate.output),
        number=row.outputs[certificate.output],
        holder=holder,
        department=catalog.departments[certificate.department].name,
        issued_at=certificate.issued_at,
        case_number=case.number or case.id,
        verify_url=verify_url(public_url, certificate.code),
    )


def certificate_pdf(sheet: CertificateSheet) -> bytes:
    """The certificate as a PDF."""
    return render_pdf("certificate.html", {"c": sheet, "qr": qr_data_uri(sheet.verify_url)})
