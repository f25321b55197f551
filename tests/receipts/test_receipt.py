"""The acceptance receipt: the case number, the scenario, every item with the date it is
promised by, the materials received, and a QR code to the case's page."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from catalog.loader import get_catalog
from documents.records import attach, case_documents, save_upload
from documents.vault import store_of
from receipts.receipt import build_receipt, receipt_pdf
from runtime.settings import Settings
from store import sealed
from store.models import CaseItem, Role
from store.users import add_user
from tests.documents.stored import PDF, image, stored_case, unique_number
from tests.helpers import unique
from tests.receipts.pdfs import qr_carries, text_of

pytestmark = pytest.mark.timeout(120)


def test_the_receipt_names_the_case_its_items_promises_and_materials(
    engine: Engine, settings: Settings
) -> None:
    catalog = get_catalog()
    with Session(engine, expire_on_commit=False) as session:
        applicant = add_user(session, unique("receipt"), "x" * 12, Role.applicant)
    assert applicant.id is not None
    number = unique_number()
    case = stored_case(engine, applicant.id, number=number)
    due = datetime(2026, 12, 4, 8, tzinfo=UTC)  # household registration's task opened
    store, ring = store_of(settings), sealed.keyring()
    with Session(engine, expire_on_commit=False) as session:
        row = session.exec(
            select(CaseItem).where(
                CaseItem.case_id == case.id, CaseItem.item == "household_registration"
            )
        ).one()
        row.due_at = due
        session.add(row)
        for data, name, material in [
            (PDF, "结婚证.pdf", "marriage_certificate"),
            (image("PNG"), "bank card.png", "bank_card"),
        ]:
            document = save_upload(session, store, ring, applicant.id, data, name, 10**6, 10)
            attach(session, applicant.id, [document.id], case.id, None, material)
        session.commit()
        items = list(session.exec(select(CaseItem).where(CaseItem.case_id == case.id)))
        documents = case_documents(session, case.id)

    receipt = build_receipt(catalog, case, items, documents, "https://onego.example.cn")
    pdf = receipt_pdf(receipt)
    text = text_of(pdf)
    assert "受理回执" in text and "Acceptance receipt" in text
    assert number in text
    spec = catalog.spec("newborn")
    assert spec is not None and spec.name.zh in text and spec.name.en in text
    for item in spec.items:
        assert item.name.zh in text, item.code
    promised = {i.name.zh: i.promised_by for i in receipt.items}
    # the task's own deadline once open; otherwise counted from the items it waits for
    assert promised[spec.item("household_registration").name.zh] == due
    first = catalog.calendar.add_working_days(
        case.submitted_at, spec.item("birth_medical_certificate").promised_days
    )
    assert promised[spec.item("birth_medical_certificate").name.zh] == first
    assert promised[spec.item("vaccination_certificate").name.zh] == (
        catalog.calendar.add_working_days(first, spec.item("vaccination_certificate").promised_days)
    )
    assert "2026-12-04" in text
    assert "结婚证.pdf" in text and "bank card.png" in text
    assert catalog.materials["marriage_certificate"].name.zh in text
    assert qr_carries(pdf, f"https://onego.example.cn/cases/{case.id}")
    assert not qr_carries(pdf, f"https://onego.example.cn/cases/{case.id}x")
