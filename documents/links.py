"""Short-lived signed links to a document's content, for department adapters (no user
token): `/api/v1/documents/{id}/content?exp=<unix seconds>&sig=<HMAC>`.

The HMAC-SHA256 key is derived (HKDF) from a data key of the ring, for this purpose alone; a
link is signed with the current key and checked against every key of the ring, so a rotation
does not break the links of the minutes before. A link lives at most DOCUMENT_LINK_MAX_S.
"""

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel

from documents.limits import DocumentRefused
from domain.text import Text
from security.keyring import DataKey, KeyRing

INFO = b"onego/document-link/v1"
CONTENT_PATH = "/api/v1/documents/{id}/content"


def _signature(key: DataKey, document_id: str, exp: int) -> str:
    link_key = HKDF(hashes.SHA256(), 32, salt=None, info=INFO).derive(key.secret)
    mac = hmac.new(link_key, f"{document_id}:{exp}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def signed_path(ring: KeyRing, document_id: str, lifetime_s: int, now: float | None = None) -> str:
    """The path (with its query) that opens the document for `lifetime_s` seconds."""
    exp = int(now if now is not None else time.time()) + lifetime_s
    sig = _signature(ring.current, document_id, exp)
    return f"{CONTENT_PATH.format(id=document_id)}?exp={exp}&sig={sig}"


def check_link(
    ring: KeyRing, document_id: str, exp: int, sig: str, max_s: int, now: float | None = None
) -> None:
    """Raise DocumentRefused (403) unless `sig` signs this document and `exp`, and `exp`
    lies between now and now + `max_s`."""
    moment = now if now is not None else time.time()
    signatures = (_signature(key, document_id, exp) for key in ring.keys.values())
    if not any(hmac.compare_digest(signed.encode(), sig.encode()) for signed in signatures):
        raise DocumentRefused(
            403,
            "link_invalid",
            "sig",
            Text(zh="文件链接签名无效", en="The document link's signature is not valid"),
            Text(zh="请向系统重新获取链接", en="Ask the system for a new link"),
        )
    if not moment <= exp <= moment + max_s:
        raise DocumentRefused(
            403,
            "link_expired",
            "exp",
            Text(zh="文件链接已过期", en="The document link has expired"),
            Text(zh="请向系统重新获取链接", en="Ask the system for a new link"),
        )


class DocumentLink(BaseModel):
    """A document of an item request, fetched with a plain GET before `expires_at`."""

    id: str
    url: str
    expires_at: datetime


class DocumentLinks:
    """Signed links to documents on the API's public address, each living `lifetime_s`
    seconds from when it is made (a department adapter makes them as it sends a request)."""

    def __init__(
        self,
        ring: Callable[[], KeyRing],
        public_url: str,
        lifetime_s: int,
        clock: Callable[[], float] = time.time,
    ):
        self.ring = ring
        self.public_url = public_url.rstrip("/")
        self.lifetime_s = lifetime_s
        self.clock = clock

    def __call__(self, document_ids: list[str]) -> list[DocumentLink]:
        ring, now = self.ring(), self.clock()
        expires_at = datetime.fromtimestamp(int(now) + self.lifetime_s, UTC)
        return [
            DocumentLink(
                id=document_id,
                url=self.public_url + signed_path(ring, document_id, self.lifetime_s, now),
                expires_at=expires_at,
            )
            for document_id in document_ids
        ]
