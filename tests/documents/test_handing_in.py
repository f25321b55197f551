"""Documents after the upload: an `http` department's item request carries signed links
that open the documents of its item (and stop opening once expired), and the retention run
forgets the documents of the cases it erases and the uploads no case took up."""

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from adapters.http import HttpDepartment
from documents.links import DocumentLinks
from documents.records import Forgetting, attach, save_upload
from documents.store import LocalStore
from domain.statuses import CaseStatus, ItemStatus
from store import sealed
from store.models import Case, Document, Role, utcnow
from store.retention import run_retention
from store.users import add_user
from tests.conftest import DB_BACKENDS, fresh_database
from tests.documents.stored import PDF, image, stored_case
from tests.documents.test_access import uploaded
from tests.helpers import Api, unique
from workflows.models import ItemRequest

pytestmark = pytest.mark.timeout(60)
PUBLIC = "https://onego.example.cn"


@pytest.fixture(params=DB_BACKENDS)
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A read model of this test alone (a retention run erases every old case it finds)."""
    with fresh_database(request.param, tmp_path) as engine:
        yield engine


def department(sent: list[dict]) -> HttpDepartment:
    """An `http` department whose system records each item request and issues at once."""

    def system(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        answer = {
            "item": "x",
            "status": "issued",
            "issue_id": "1",
            "issued_at": "2026-12-01T00:00:00Z",
        }
        return httpx.Response(200, json=answer)

    return HttpDepartment(
        "public-security",
        "http://department.test",
        "secret",
        transport=httpx.MockTransport(system),
        links=DocumentLinks(sealed.keyring, PUBLIC, 60),
    )


async def test_an_http_department_gets_links_that_open_its_documents(api: Api) -> None:
    applicant = await api.account(Role.applicant)
    document_id = await uploaded(api, applicant)
    sent: list[dict] = []
    adapter = department(sent)
    request = ItemRequest(
        case_id="c1",
        scenario="newborn",
        item="household_registration",
        department="public-security",
        fields={},
        documents=[document_id],
    )
    await adapter.perform(request)
    await adapter.perform(ItemRequest(**{**request.model_dump(), "documents": []}))
    await adapter.aclose()

    [link] = sent[0]["document_links"]
    assert sent[0]["documents"] == [document_id] and link["id"] == document_id
    assert link["url"].startswith(f"{PUBLIC}/api/v1/documents/{document_id}/content?exp=")
    opened = await api.http.get(link["url"].removeprefix(PUBLIC))  # no user token
    assert opened.status_code == 200 and opened.content == PDF
    assert sent[1]["document_links"] == []

    expired = DocumentLinks(sealed.keyring, PUBLIC, 60, clock=lambda: time.time() - 120)
    [old] = expired([document_id])
    refused = await api.http.get(old.url.removeprefix(PUBLIC))
    assert refused.status_code == 403 and refused.json()["error"] == "link_expired"


def test_retention_forgets_erased_cases_documents_and_untaken_uploads(
    own_engine: Engine, tmp_path: Path
) -> None:
    engine, now = own_engine, utcnow()
    store, ring = LocalStore(tmp_path / "documents"), sealed.keyring()
    with Session(engine, expire_on_commit=False) as session:
        owner = add_user(session, unique("owner"), "x" * 12, Role.applicant)
    assert owner.id is not None
    closed = stored_case(engine, owner.id, status=ItemStatus.done)
    kept = stored_case(engine, owner.id, status=ItemStatus.done)
    with Session(engine, expire_on_commit=False) as session:
        for case_id, days in ((closed.id, 4 * 365), (kept.id, 30)):
            case = session.get(Case, case_id)
            assert case is not None
            case.status, case.completed_at = CaseStatus.completed, now - timedelta(days=days)
            session.add(case)
        upload = [
            save_upload(session, store, ring, owner.id, data, "a.pdf", 1 << 20, 20)
            for data in (PDF, image("PNG"), image("JPEG"), PDF + b"recent")
        ]
        attach(session, owner.id, [upload[0].id], closed.id, material="bank_card")
        attach(session, owner.id, [upload[1].id], kept.id, material="bank_card")
        upload[2].created_at = now - timedelta(days=3)  # no case took it up
        session.commit()

    report = run_retention(engine, timedelta(days=3 * 365), now, Forgetting(store))
    assert report.erased == 1 and report.documents == 2
    with Session(engine) as session:
        left = {d.id for d in session.exec(select(Document))}
    assert left == {upload[1].id, upload[3].id}
    assert not store.path(upload[0].sha256).exists() and not store.path(upload[2].sha256).exists()
    assert store.path(upload[1].sha256).exists() and store.path(upload[3].sha256).exists()
