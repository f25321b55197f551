"""Where the documents' sealed bytes live: a small interface and the local folder store.

A blob's key is the SHA-256 (hex) of the document's plain content, so an upload repeated
(by anyone) is stored once. The store only ever sees sealed bytes (documents/vault.py). An
S3-compatible store is the scaled path (docs/documents.md): the same three methods.
"""

import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from runtime.filemodes import private_file

KEY = re.compile(r"^[0-9a-f]{64}$")


class BlobMissing(Exception):
    """No blob under that key."""


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (a SHA-256 in hex); keeps what is there already."""

    def get(self, key: str) -> bytes:
        """The bytes under `key`; BlobMissing if there are none."""

    def delete(self, key: str) -> None:
        """Forget `key` (nothing happens if it is not there)."""


class LocalStore:
    """Blobs as files `root/ab/cd/abcd...` (owner-only), each written whole then renamed."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, key: str) -> Path:
        if not KEY.match(key):
            raise ValueError("a blob key is a SHA-256 in lower-case hex")
        return self.root / key[:2] / key[2:4] / key

    def put(self, key: str, data: bytes) -> None:
        path = self.path(key)
        if path.exists():
            return
        temporary = path.with_name(f".{key}.{secrets.token_hex(6)}.tmp")
        private_file(temporary)  # its folders too, owner-only
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(key) from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
