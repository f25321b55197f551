"""Issued outputs as electronic certificates: the PDF names the number, holder, department
and date, and its QR code opens /verify/{code}, a public page that says valid, then revoked,
and never shows personal data."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from catalog.loader import get_catalog
from domain.statuses import ItemStatus
from receipts.certificate import build_certificate, certificate_pdf
from runtime.settings import Settings
from store.certificates import issue_certificates, revoke_certificates
from store.models import Case, CaseItem, Certificate, Role
from store.users import add_user
from tests.documents.stored import stored_case, unique_number
from tests.helpers import Api, running_api, unique
from tests.receipts.pdfs import qr_carries, text_of
from web.i18n import local_time

pytestmark = pytest.mark.timeout(120)
HOLDER = "王小明"
OUTPUTS = {"citizen_id": "110101202612010012", "hukou_no": "HK-8842-1177"}
ISSUED = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
async def api(
    time_skipping_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> AsyncIterator[Api]:
    async with running_api(settings, time_skipping_env.client, engine, reconcile=False) as api:
        yield api


def certificates_of(session: Session, row: CaseItem) -> list[Certificate]:
    """The item's certificates, by output."""
    query = select(Certificate).where(
        Certificate.case_id == row.case_id, Certificate.item == row.item
    )
    return list(session.exec(query.order_by(col(Certificate.output))))


def issued_case(engine: Engine) -> tuple[Case, CaseItem, list[Certificate]]:
    """A case whose household registration is done and issued two outputs."""
    with Session(engine, expire_on_commit=False) as session:
        applicant = add_user(
            session, unique("holder"), "x" * 12, Role.applicant, display_name=HOLDER
        )
    assert applicant.id is not None
    case = stored_case(engine, applicant.id, number=unique_number(7))
    with Session(engine, expire_on_commit=False) as session:
        row = session.exec(
            select(CaseItem).where(
                CaseItem.case_id == case.id, CaseItem.item == "household_registration"
            )
        ).one()
        row.status, row.outputs, row.completed_at = ItemStatus.done, OUTPUTS, ISSUED
        session.add(row)
        issue_certificates(session, row)
        session.commit()
        certificates = [c.model_copy() for c in certificates_of(session, row)]
        issue_certificates(session, row, ISSUED + timedelta(days=1))
        session.commit()
        session.expire_all()
        assert certificates_of(session, row) == certificates  # once per output
    return case, row, certificates


def test_each_output_is_a_certificate_with_a_qr_code_to_its_verification(
    engine: Engine,
) -> None:
    case, row, certificates = issued_case(engine)
    assert {c.output for c in certificates} == set(OUTPUTS)
    assert len({c.code for c in certificates}) == 2 and all(len(c.code) == 22 for c in certificates)
    citizen = next(c for c in certificates if c.output == "citizen_id")
    sheet = build_certificate(get_catalog(), citizen, case, row, HOLDER, "https://onego.example.cn")
    pdf = certificate_pdf(sheet)
    text = text_of(pdf)
    assert OUTPUTS["citizen_id"] in text and HOLDER in text and str(case.number) in text
    assert get_catalog().departments["public-security"].name.zh in text
    assert "2026-12-03" in text and "电子证照" in text
    assert qr_carries(pdf, f"https://onego.example.cn/verify/{citizen.code}")


async def test_the_verify_page_says_valid_then_revoked_and_nothing_personal(api: Api) -> None:
    case, row, certificates = issued_case(api.engine)
    code = certificates[0].code
    personal = [HOLDER, case.id, case.number or "", *OUTPUTS.values(), row.case_id]

    page = await api.http.get(f"/verify/{code}")
    assert page.status_code == 200
    assert 'data-valid="true"' in page.text and "有效" in page.text
    assert local_time(ISSUED, False, "zh") in page.text  # the day of issue, as pages write it
    assert get_catalog().departments["public-security"].name.zh in page.text
    assert not [p for p in personal if p in page.text]
    english = await api.http.get(f"/verify/{code}?lang=en")
    assert local_time(ISSUED, False, "en") in english.text
    assert "Valid" in english.text and not [p for p in personal if p in english.text]

    with Session(api.engine) as session:
        assert revoke_certificates(session, case.id, row.item, datetime.now(UTC)) == 2
        session.commit()
    page = await api.http.get(f"/verify/{code}?lang=zh")  # the English page set a cookie
    assert page.status_code == 200
    assert 'data-valid="false"' in page.text and "已撤销" in page.text
    assert not [p for p in personal if p in page.text]


async def test_an_item_undone_revokes_its_certificates_at_once(api: Api) -> None:
    _, row, certificates = issued_case(api.engine)
    with Session(api.engine) as session:
        undone = session.get(CaseItem, row.id)
        assert undone is not None
        undone.status = ItemStatus.compensated
        session.add(undone)
        session.commit()
    page = await api.http.get(f"/verify/{certificates[1].code}")
    assert 'data-valid="false"' in page.text


async def test_an_unknown_or_malformed_code_is_not_found(api: Api) -> None:
    for code in ("A" * 22, "short", "A" * 23, "A" * 21 + "!"):
        page = await api.http.get(f"/verify/{code}")
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
