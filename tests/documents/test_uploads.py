"""Uploads: judged by their bytes, bounded in size and number, stored sealed under their
SHA-256; a refused upload stores nothing and says why in both languages."""

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, func, select

from documents.names import display_name
from documents.records import (
    attach,
    forget,
    forget_case_documents,
    forget_unattached,
    save_upload,
)
from documents.store import LocalStore
from store import sealed
from store.models import AuditEvent, Document, Role
from store.users import add_user
from tests.conftest import fresh_database
from tests.documents.conftest import MAX_BYTES, MAX_PENDING
from tests.documents.stored import EXE, PDF, image, stored_case
from tests.helpers import Account, Api

pytestmark = pytest.mark.timeout(60)


async def upload(
    api: Api, who: Account, data: bytes, name: str = "材料.pdf", declared: str = "application/pdf"
) -> httpx.Response:
    files = {"file": (name, data, declared)}
    return await api.http.post("/api/v1/documents", files=files, headers=who.headers)


def documents_of(api: Api, owner: Account) -> list[Document]:
    with Session(api.engine) as session:
        return list(session.exec(select(Document).where(Document.owner_id == owner.id)))


def blobs(api: Api) -> list[Path]:
    root = api.settings.resolved_documents_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def test_an_upload_is_stored_sealed_under_its_digest_and_read_back(api: Api) -> None:
    applicant = await api.account(Role.applicant)
    answer = await upload(api, applicant, PDF, name="../../出生 证明<script>.exe")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    assert body["name"] == "出生 证明script.pdf"  # no folders, no markup, the sniffed extension
    assert body["case_id"] is None

    sha256 = hashlib.sha256(PDF).hexdigest()
    [blob] = blobs(api)
    assert blob.name == sha256 and blob.stat().st_mode & 0o077 == 0
    stored = blob.read_bytes()
    assert PDF not in stored and b"plaintext-marker" not in stored and b"%PDF" not in stored
    [row] = documents_of(api, applicant)
    assert row.sha256 == sha256 and row.id == body["id"]

    read = await api.http.get(f"/api/v1/documents/{body['id']}", headers=applicant.headers)
    assert read.status_code == 200 and read.content == PDF
    assert read.headers["content-type"] == "application/pdf"
    assert "attachment" in read.headers["content-disposition"]
    with Session(api.engine) as session:
        actions = session.exec(
            select(AuditEvent.action, AuditEvent.outcome).where(AuditEvent.object_id == body["id"])
        ).all()
    assert ("document.upload", "success") in actions and ("document.view", "success") in actions


@pytest.mark.parametrize(
    ("kind", "declared", "content_type", "extension"),
    [("PNG", "application/pdf", "image/png", "png"), ("JPEG", "image/png", "image/jpeg", "jpg")],
)
async def test_the_kind_is_told_by_the_bytes_not_the_name_or_declared_type(
    api: Api, kind: str, declared: str, content_type: str, extension: str
) -> None:
    applicant = await api.account(Role.applicant)
    answer = await upload(api, applicant, image(kind), name="scan.pdf", declared=declared)
    assert answer.status_code == 201, answer.text
    assert answer.json()["content_type"] == content_type
    assert answer.json()["name"] == f"scan.{extension}"


def test_display_names_are_harmless() -> None:
    assert display_name("C:\\Users\\张三\\身份证.JPG", "jpg") == "身份证.jpg"
    assert display_name('a"b\r\n;c.pdf', "pdf") == "abc.pdf"
    assert display_name("\u202egpj.exe", "png") == "gpj.png"  # no bidi override
    assert display_name("...", "pdf") == "document.pdf"
    assert display_name(None, "png") == "document.png"
    assert len(display_name("长" * 500 + ".pdf", "pdf")) <= 84


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (EXE, 422, "file_type"),  # a renamed executable
        (b"<html><script>alert(1)</script>", 422, "file_type"),
        (b"", 422, "file_empty"),
        (b"%PDF-" + b"0" * MAX_BYTES, 413, "file_too_large"),
    ],
    ids=["renamed-exe", "html", "zero-bytes", "oversize"],
)
async def test_a_bad_upload_is_refused_in_both_languages_and_stores_nothing(
    api: Api, data: bytes, status: int, code: str
) -> None:
    applicant = await api.account(Role.applicant)
    answer = await upload(api, applicant, data, name="setup.pdf")
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == code and body["problems"][0]["code"] == code
    assert body["problems"][0]["loc"] == "file"
    for text in (body["message"], body["problems"][0]["fix"]):
        assert text["zh"] and text["en"] and text["zh"] != text["en"]
    assert documents_of(api, applicant) == [] and blobs(api) == []
    with Session(api.engine) as session:
        refused = session.exec(
            select(func.count()).where(
                AuditEvent.actor_id == applicant.id,
                AuditEvent.action == "document.upload",
                AuditEvent.outcome == "failure",
                AuditEvent.detail == code,
            )
        ).one()
    assert refused == 1


async def test_a_body_far_beyond_the_limit_is_cut_off_in_the_project_format(api: Api) -> None:
    applicant = await api.account(Role.applicant)
    answer = await upload(api, applicant, b"%PDF-" + b"0" * (MAX_BYTES + 128 * 1024))
    assert answer.status_code == 413
    assert answer.json()["error"] == "body_too_large"
    assert documents_of(api, applicant) == [] and blobs(api) == []


async def test_the_pending_uploads_of_an_applicant_are_bounded(api: Api) -> None:
    applicant, other = await api.account(Role.applicant), await api.account(Role.applicant)
    for n in range(MAX_PENDING):
        answer = await upload(api, applicant, PDF + str(n).encode())
        assert answer.status_code == 201, answer.text
    stored = blobs(api)
    refused = await upload(api, applicant, PDF + b"one too many")
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "too_many_documents"
    assert len(documents_of(api, applicant)) == MAX_PENDING and blobs(api) == stored
    # the same content again by someone else: a row of its own, the blob stored once
    assert (await upload(api, other, PDF + b"0")).status_code == 201
    assert blobs(api) == stored


async def test_only_applicants_upload(api: Api) -> None:
    clerk = await api.account(Role.clerk, "health")
    answer = await upload(api, clerk, PDF)
    assert answer.status_code == 403
    with Session(api.engine) as session:
        assert (
            session.exec(select(func.count()).where(col(Document.owner_id) == clerk.id)).one() == 0
        )


def test_forgotten_uploads_take_their_blob_once_no_row_names_it(tmp_path: Path) -> None:
    """On a database of its own: forgetting the stale uploads sweeps the whole table."""
    store, ring = LocalStore(tmp_path / "documents"), sealed.keyring()
    with fresh_database("sqlite", tmp_path) as engine, Session(engine) as session:
        owners = [add_user(session, f"owner{n}", "x" * 12, Role.applicant) for n in (1, 2)]
        first, second = (
            save_upload(session, store, ring, owner.id or 0, PDF, "a.pdf", 10**6, 5)
            for owner in owners
        )
        session.commit()
        [blob] = [p for p in store.root.rglob("*") if p.is_file()]
        assert forget(session, store, [first]) == 1
        assert blob.exists()  # the second upload still names it
        case = stored_case(engine, second.owner_id)
        attach(session, second.owner_id, [second.id], case.id)
        session.commit()
        later = datetime.now(UTC) + timedelta(seconds=1)
        assert forget_unattached(session, store, later) == 0  # a case took it up
        assert forget_case_documents(session, store, case.id) == 1
        assert not blob.exists() and session.exec(select(func.count(col(Document.id)))).one() == 0
