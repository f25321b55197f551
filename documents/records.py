"""The documents table: uploads, references from cases, who may read one, and forgetting
the uploads no case took up."""

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from catalog.loader import Catalog
from documents.limits import DocumentRefused, check_pending, checked_kind
from documents.names import display_name
from documents.store import BlobStore
from documents.vault import put_sealed
from domain.text import Text
from security.keyring import KeyRing
from store.models import Case, CaseItem, Document, Role, User, utcnow


def pending_count(session: Session, owner_id: int) -> int:
    """Uploads of `owner_id` that no case references yet."""
    query = select(func.count()).where(
        Document.owner_id == owner_id, col(Document.case_id).is_(None)
    )
    return session.exec(query).one()


def save_upload(
    session: Session,
    store: BlobStore,
    ring: KeyRing,
    owner_id: int,
    data: bytes,
    filename: str | None,
    max_bytes: int,
    max_pending: int,
) -> Document:
    """Check an upload, seal and store its content, and add its row (committed by the
    caller). Nothing is stored when it is refused (DocumentRefused)."""
    kind = checked_kind(data, max_bytes)
    check_pending(pending_count(session, owner_id), max_pending)
    sha256 = put_sealed(store, ring, data)
    document = Document(
        id=str(uuid.uuid4()),
        owner_id=owner_id,
        sha256=sha256,
        content_type=kind.content_type,
        size=len(data),
        name=display_name(filename, kind.extension),
        created_at=utcnow(),
    )
    session.add(document)
    return document


def _unknown(document_id: str) -> DocumentRefused:
    return DocumentRefused(
        422,
        "unknown_document",
        "documents",
        Text(
            zh=f"没有可用的上传文件 {document_id}",
            en=f"No usable upload {document_id}",
        ),
        Text(
            zh="请引用本人上传、尚未用于其他申请的文件，或重新上传",
            en="Reference your own uploads not used elsewhere, or upload again",
        ),
    )


def attach(
    session: Session,
    owner_id: int,
    document_ids: list[str],
    case_id: str,
    item: str | None = None,
    material: str | None = None,
) -> list[Document]:
    """Mark the owner's uploads as the materials of a case (and an item, for a supplement);
    DocumentRefused (422) for an id that is not the owner's or is already another case's.
    Written with the caller's transaction (the case, or the supplement's audit row)."""
    documents = []
    for document_id in document_ids:
        document = session.get(Document, document_id)
        if (
            document is None
            or document.owner_id != owner_id
            or document.case_id not in (None, case_id)
        ):
            raise _unknown(document_id)
        document.case_id, document.item = case_id, item
        document.material = material or document.material
        session.add(document)
        documents.append(document)
    return documents


def case_documents(session: Session, case_id: str) -> list[Document]:
    query = select(Document).where(Document.case_id == case_id).order_by(col(Document.created_at))
    return list(session.exec(query))


def _departments(session: Session, catalog: Catalog, document: Document) -> set[str]:
    """The departments whose items the document serves: its item's, or (a material of the
    form) every item of its case that asks for that material."""
    items = list(session.exec(select(CaseItem).where(CaseItem.case_id == document.case_id)))
    if document.item:
        return {row.department for row in items if row.item == document.item}
    case = session.get(Case, document.case_id)
    spec = catalog.spec(case.scenario, case.scenario_version) if case else None
    if spec is None or document.material is None:
        return set()
    return {row.department for row in items if document.material in spec.item(row.item).materials}


def readable(session: Session, catalog: Catalog, document_id: str, user: User) -> Document | None:
    """The document if `user` may read it: its uploader, or a clerk (or supervisor) of a
    department whose item it serves; None otherwise (answered as "no such document")."""
    document = session.get(Document, document_id)
    if document is None:
        return None
    if document.owner_id == user.id:
        return document
    staff = user.role in (Role.clerk, Role.supervisor) and user.department
    if staff and document.case_id and user.department in _departments(session, catalog, document):
        return document
    return None


def forget(session: Session, store: BlobStore, documents: list[Document]) -> int:
    """Delete the rows, then each blob that no other row names; returns how many rows went."""
    for document in documents:
        session.delete(document)
    session.commit()  # the rows first: a blob is never missing under a row
    for sha256 in {d.sha256 for d in documents}:
        if session.exec(select(func.count()).where(Document.sha256 == sha256)).one() == 0:
            store.delete(sha256)
    return len(documents)


def forget_unattached(session: Session, store: BlobStore, before: datetime) -> int:
    """Forget the uploads made before `before` that no case took up."""
    query = select(Document).where(
        col(Document.case_id).is_(None), col(Document.created_at) < before
    )
    return forget(session, store, list(session.exec(query)))


UNATTACHED_KEPT = timedelta(days=2)  # how long an upload no case took up is kept


class Forgetting:
    """The retention run's way to forget documents (store.retention.DocumentForgetting)."""

    def __init__(self, store: BlobStore):
        self.store = store

    def case_documents(self, session: Session, case_id: str) -> int:
        return forget_case_documents(session, self.store, case_id)

    def unattached(self, session: Session, now: datetime) -> int:
        return forget_unattached(session, self.store, now - UNATTACHED_KEPT)


def forget_case_documents(session: Session, store: BlobStore, case_id: str) -> int:
    """Forget a case's documents (retention erasing its personal data)."""
    return forget(session, store, case_documents(session, case_id))
