"""The acceptance receipt (受理回执) of a case: its number, the scenario, every item with the
date it is promised by, the materials received and a QR code to the case's page."""

from dataclasses import dataclass
from datetime import datetime

from catalog.loader import Catalog
from domain.text import Text
from receipts.rendering import qr_data_uri, render_pdf
from store.models import Case, CaseItem, Document


@dataclass(frozen=True)
class ReceiptItem:
    name: Text
    department: Text
    promised_days: int
    promised_by: datetime


@dataclass(frozen=True)
class ReceivedMaterial:
    name: str  # the upload's sanitized display name
    material: Text | None
    content_type: str
    size: int


@dataclass(frozen=True)
class Receipt:
    number: str
    scenario: Text
    submitted_at: datetime
    items: list[ReceiptItem]
    materials: list[ReceivedMaterial]
    case_url: str


def build_receipt(
    catalog: Catalog,
    case: Case,
    items: list[CaseItem],
    documents: list[Document],
    public_url: str,
) -> Receipt:
    """The receipt's content. An item is promised by its deadline once its task opened,
    before that by its promised working days counted from when the items it waits for are
    promised (from submission for the first ones)."""
    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    rows = {row.item: row for row in items}
    promised: dict[str, datetime] = {}
    for item in spec.items:  # in order: an item comes after those it requires
        if item.code not in rows:
            continue
        due = rows[item.code].due_at
        start = max((promised[r] for r in item.requires if r in promised), default=None)
        promised[item.code] = due or catalog.calendar.add_working_days(
            start or case.submitted_at, item.promised_days
        )
    return Receipt(
        number=case.number or case.id,
        scenario=spec.name,
        submitted_at=case.submitted_at,
        items=[
            ReceiptItem(
                name=item.name,
                department=item.department_name,
                promised_days=item.promised_days,
                promised_by=promised[item.code],
            )
            for item in spec.items
            if item.code in promised
        ],
        materials=[
            ReceivedMaterial(
                name=document.name,
                material=catalog.materials[document.material].name
                if document.material in catalog.materials
                else None,
                content_type=document.content_type,
                size=document.size,
            )
            for document in documents
        ],
        case_url=f"{public_url}/cases/{case.id}",
    )


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as a PDF."""
    return render_pdf("receipt.html", {"r": receipt, "qr": qr_data_uri(receipt.case_url)})
