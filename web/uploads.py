"""The files of a page's form (the unified form, a supplement): one file input per material
the notice still asks for, each stored like POST /api/v1/documents (documents/) and handed
to the case service as document ids. Works without JavaScript (multipart form posts).

A file stored while the rest of the form had problems is not lost: the page shows it again
with its id in a hidden input (`document-<material>`), so the corrected form needs no new
upload.
"""

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, col, select
from starlette.datastructures import FormData, UploadFile

from documents.limits import DocumentRefused
from forms.messages import Problem
from routers.audit import Auditor
from routers.documents import store_upload
from runtime.settings import Settings
from store.models import Document, User

# The pages whose forms carry files, and how many files one may carry at most (one per
# material asked; no scenario asks for more): their body limit (api.py, BodySizeLimit).
PAGE_UPLOADS = ("/scenarios/{}/apply", "/cases/{}/supplement")
PAGE_FILES = 10
FILE_PREFIX, KEPT_PREFIX = "file-", "document-"


def _file(posted: FormData, material: str) -> UploadFile | None:
    value = posted.get(FILE_PREFIX + material)
    if isinstance(value, UploadFile) and (value.filename or value.size):
        return value
    return None


async def uploaded(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    posted: FormData,
    materials: list[str],
) -> tuple[dict[str, list[str]], list[Problem]]:
    """The documents of the form by material (files posted now, and those kept from an
    earlier post of the same form), and the problems of the files refused. Each file is
    stored and audited (document.upload) as the API's upload is."""
    documents: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for material in materials[:PAGE_FILES]:
        kept = [str(v) for v in posted.getlist(KEPT_PREFIX + material) if isinstance(v, str)]
        documents[material] = kept
        file = _file(posted, material)
        if file is None:
            continue
        data = await file.read(settings.document_max_bytes + 1)
        try:
            document = await run_in_threadpool(
                _store, request, session, settings, user, data, file.filename
            )
        except DocumentRefused as refused:
            problem = refused.problem
            problems.append(problem.model_copy(update={"loc": f"{FILE_PREFIX}{material}"}))
            continue
        documents[material] = [*kept, document.id]
    return {m: ids for m, ids in documents.items() if ids}, problems


def _store(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    data: bytes,
    filename: str | None,
) -> Document:
    return store_upload(session, settings, Auditor(request, session), user, data, filename)


def kept_documents(
    session: Session, user: User, documents: dict[str, list[str]]
) -> dict[str, list[tuple[str, str]]]:
    """The applicant's own documents of a form shown again: material -> [(id, name)]."""
    ids = [d for ids in documents.values() for d in ids]
    if not ids:
        return {}
    rows = session.exec(
        select(Document).where(Document.owner_id == user.id, col(Document.id).in_(ids))
    )
    names = {row.id: row.name for row in rows}
    return {
        material: [(d, names[d]) for d in ids if d in names] for material, ids in documents.items()
    }
