"""Documents sealed with the data key ring (security/keyring.py) before they reach a store.

The associated data binds each sealed blob to its key ("document:<sha256>"), so a blob moved
under another key does not open; the content opened is checked against its SHA-256 again.
"""

import hashlib

from documents.store import BlobStore, LocalStore
from runtime.settings import Settings
from security.keyring import KeyRing, KeyRingError


def store_of(settings: Settings) -> BlobStore:
    """The deployment's document store: the local folder (DOCUMENTS_DIR, else
    data_dir/documents); docs/documents.md tells how an S3-compatible one would plug in."""
    return LocalStore(settings.resolved_documents_dir)


def _place(sha256: str) -> bytes:
    return f"document:{sha256}".encode()


def put_sealed(store: BlobStore, ring: KeyRing, data: bytes) -> str:
    """Seal `data` and store it under its SHA-256, which is returned."""
    sha256 = hashlib.sha256(data).hexdigest()
    store.put(sha256, ring.seal(data, _place(sha256)))
    return sha256


def get_opened(store: BlobStore, ring: KeyRing, sha256: str) -> bytes:
    """The plain content stored under `sha256`; KeyRingError if it does not open or is not
    the content that key names; BlobMissing if there is none."""
    data = ring.open(store.get(sha256), _place(sha256))
    if hashlib.sha256(data).hexdigest() != sha256:
        raise KeyRingError(f"document {sha256[:12]}… does not match its digest")
    return data
