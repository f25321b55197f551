"""Documents (材料): an applicant uploads one, gets its id, and references the id in a form or
a supplement; its uploader and the clerks of the departments it serves read it, a department
adapter with a short-lived signed link. Every read is audited (a document is personal data).
docs/documents.md."""

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session

from catalog.loader import Catalog
from documents.limits import DocumentRefused
from documents.links import check_link
from documents.records import readable, save_upload
from documents.sniffing import BY_TYPE
from documents.vault import get_opened, store_of
from routers.audit import AuditDep, Auditor
from routers.deps import CatalogDep, CurrentUser, SessionDep, SettingsDep, require
from routers.responses import Responses, errors
from routers.schemas import ErrorResponse
from runtime.settings import Settings
from store import sealed
from store.models import Document, Role, User

router = APIRouter(prefix="/documents", tags=["documents"])
Applicant = Annotated[User, Depends(require(Role.applicant))]
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
DocumentId = Annotated[str, Path(max_length=36, pattern=UUID_PATTERN, description="Its id")]
CONTENT: Responses = {
    200: {
        "content": {kind: {} for kind in BY_TYPE},
        "description": "The document's content, of the kind its bytes were checked to be",
    },
}


class DocumentPublic(BaseModel):
    """An uploaded document as its uploader sees it (never its content or digest)."""

    id: str
    name: str
    content_type: str
    size: int
    created_at: datetime
    case_id: str | None
    item: str | None
    material: str | None


def refusal(refused: DocumentRefused) -> HTTPException:
    """The refusal in the project's error format."""
    body = ErrorResponse(
        error=refused.problem.code, message=refused.problem.message, problems=[refused.problem]
    )
    return HTTPException(refused.status, detail=body.model_dump(mode="json"))


def _no_such_document() -> HTTPException:
    return HTTPException(404, detail="没有这个文件 / no such document")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 409, 413, 422),
)
async def upload_document(
    file: UploadFile,
    user: Applicant,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditDep,
) -> DocumentPublic:
    """Upload one material (multipart field `file`): a PDF, JPEG or PNG by its content, at
    most DOCUMENT_MAX_BYTES; its id is then referenced by the form or a supplement. The file
    name is only shown (sanitized); nothing is stored when the upload is refused."""
    data = await file.read(settings.document_max_bytes + 1)
    return await run_in_threadpool(_upload, session, settings, audit, user, data, file.filename)


def store_upload(
    session: Session,
    settings: Settings,
    audit: Auditor,
    user: User,
    data: bytes,
    filename: str | None,
) -> Document:
    """Check and keep one upload with its audit row (API and pages alike); a refusal is
    audited too and raised as `DocumentRefused`."""
    assert user.id is not None
    try:
        document = save_upload(
            session,
            store_of(settings),
            sealed.keyring(),
            user.id,
            data,
            filename,
            settings.document_max_bytes,
            settings.document_max_pending,
        )
    except DocumentRefused as refused:
        what = {"object_type": "document", "detail": refused.problem.code}
        audit.record(user, "document.upload", outcome="failure", **what)
        raise
    audit.record(  # commits the row with its audit row
        user,
        "document.upload",
        object_type="document",
        object_id=document.id,
        detail=document.content_type,
    )
    return document


def _upload(
    session: Session,
    settings: Settings,
    audit: Auditor,
    user: User,
    data: bytes,
    filename: str | None,
) -> DocumentPublic:
    try:
        document = store_upload(session, settings, audit, user, data, filename)
    except DocumentRefused as refused:
        raise refusal(refused) from None
    return DocumentPublic.model_validate(document, from_attributes=True)


def content_response(document: Document, data: bytes) -> Response:
    """The content as a download named by the document's (sanitized) name."""
    extension = BY_TYPE[document.content_type].extension
    disposition = (
        f"attachment; filename=\"document.{extension}\"; filename*=UTF-8''{quote(document.name)}"
    )
    return Response(
        data, media_type=document.content_type, headers={"Content-Disposition": disposition}
    )


@router.get(
    "/{document_id}",
    response_class=Response,
    responses={**CONTENT, **errors(401, 403, 404)},
)
def read_document(
    document_id: DocumentId,
    user: CurrentUser,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    audit: AuditDep,
) -> Response:
    """The document's content, for its uploader and for the clerks of the departments whose
    items it serves (404 for anyone else). Each read is recorded (document.view)."""
    with audit.watched(user, "document.view", "document", document_id):
        document = _readable(session, catalog, document_id, user)
        data = get_opened(store_of(settings), sealed.keyring(), document.sha256)
    return content_response(document, data)


def _readable(session: Session, catalog: Catalog, document_id: str, user: User) -> Document:
    document = readable(session, catalog, document_id, user)
    if document is None:
        raise _no_such_document()
    return document


@router.get(
    "/{document_id}/content",
    response_class=Response,
    responses={**CONTENT, **errors(403, 404)},
)
def document_by_link(
    document_id: DocumentId,
    exp: Annotated[int, Query(ge=0, le=2**40, description="Expiry, Unix seconds")],
    sig: Annotated[str, Query(max_length=64, description="The link's signature")],
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditDep,
) -> Response:
    """The document's content through a signed link (documents/links.py) that a department
    adapter was given: no user token; refused (403) once expired or if changed. Each read is
    recorded (document.fetch)."""
    with audit.watched(None, "document.fetch", "document", document_id, detail="signed link"):
        ring = sealed.keyring()
        try:
            check_link(ring, document_id, exp, sig, settings.document_link_max_s)
        except DocumentRefused as refused:
            raise refusal(refused) from None
        document = session.get(Document, document_id)
        if document is None:
            raise _no_such_document()
        data = get_opened(store_of(settings), ring, document.sha256)
    return content_response(document, data)
