"""What a case hands out on paper (receipts/): the acceptance receipt of a case and the
certificate of each output it issued, as PDFs for the API and the pages alike.

Rendering takes a second or so of CPU (weasyprint), so it runs off the event loop and its
result is kept per case while the content is the same (a receipt changes as items get
their deadlines or a supplement brings documents; a certificate never does).
"""

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import TypeVar

from sqlmodel import Session, select

from cases.errors import NotFound
from cases.view import case_items, visible
from catalog.loader import Catalog
from catalog.models import OutputHolder
from documents.records import case_documents
from domain.text import Text
from receipts.certificate import CertificateSheet, build_certificate, certificate_pdf
from receipts.receipt import Receipt, build_receipt, receipt_pdf
from store.models import Case, Certificate, User

CACHED = 256  # PDFs kept, the most recently asked for
C = TypeVar("C")


class PdfCache:
    """PDFs by case (and output), each with the fingerprint of the content it was made
    of: a content that changed is rendered again. Least recently used go first."""

    def __init__(self, size: int = CACHED):
        self.size = size
        self._pdfs: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: str, fingerprint: str) -> bytes | None:
        with self._lock:
            kept = self._pdfs.get(key)
            if kept is None or kept[0] != fingerprint:
                return None
            self._pdfs.move_to_end(key)
            return kept[1]

    def put(self, key: str, fingerprint: str, pdf: bytes) -> None:
        with self._lock:
            self._pdfs[key] = (fingerprint, pdf)
            self._pdfs.move_to_end(key)
            while len(self._pdfs) > self.size:
                self._pdfs.popitem(last=False)


CACHE = PdfCache()


def _fingerprint(content: object) -> str:
    return hashlib.sha256(repr(content).encode()).hexdigest()


def certificate_not_found() -> NotFound:
    return NotFound(Text(zh="没有这份电子证照", en="no such certificate"))


async def receipt_of(
    session: Session, catalog: Catalog, ref: str, user: User, public_url: str
) -> tuple[Case, bytes]:
    """The acceptance receipt of a case `user` may see (`NotFound` otherwise)."""

    def content() -> tuple[Case, Receipt]:
        case = visible(session, ref, user)
        items = case_items(session, case.id)
        return case, build_receipt(
            catalog, case, items, case_documents(session, case.id), public_url
        )

    case, receipt = await asyncio.to_thread(content)
    return case, await _rendered(f"receipt:{case.id}", receipt, receipt_pdf)


async def certificate_of(
    session: Session, catalog: Catalog, ref: str, output: str, user: User, public_url: str
) -> tuple[Case, bytes]:
    """The certificate of an output the applicant's own case issued, made out to them
    (`NotFound` for another's case, or an output not issued or not certified)."""

    def content() -> tuple[Case, CertificateSheet]:
        case = visible(session, ref, user)
        if case.applicant_id != user.id:
            raise certificate_not_found()
        certificate = session.exec(
            select(Certificate).where(Certificate.case_id == case.id, Certificate.output == output)
        ).first()
        row = next(
            (r for r in case_items(session, case.id) if certificate and r.item == certificate.item),
            None,
        )
        if certificate is None or row is None or output not in row.outputs:
            raise certificate_not_found()
        holder = holder_of(catalog, case, certificate.item, output)
        holder = holder or user.display_name or user.username
        return case, build_certificate(catalog, certificate, case, row, holder, public_url)

    case, sheet = await asyncio.to_thread(content)
    return case, await _rendered(f"certificate:{case.id}:{output}", sheet, certificate_pdf)


def holder_of(catalog: Catalog, case: Case, item: str, output: str) -> str | None:
    """The name an output is made out to when it is the case's subject's (the baby's birth
    certificate, the firm's licence): the subject's name as the form gives it; None when it
    is the applicant's own, or the scenario names no subject."""
    defs = {o.code: o for o in catalog.items[item].outputs}
    field = catalog.subjects.get(case.scenario)
    if field is None or output not in defs or defs[output].holder is not OutputHolder.subject:
        return None
    name = case.form.get(field)
    return str(name) if name else None


async def _rendered(key: str, content: C, render: Callable[[C], bytes]) -> bytes:
    """The PDF of `content`, rendered in a thread unless the cache holds it."""
    fingerprint = _fingerprint(content)
    pdf = CACHE.get(key, fingerprint)
    if pdf is None:
        pdf = await asyncio.to_thread(render, content)
        CACHE.put(key, fingerprint, pdf)
    return pdf
