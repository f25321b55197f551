"""The data key ring: authenticated encryption of personal data (SM4-GCM or AES-256-GCM).

One ring serves the Temporal payload codec (core/codec.py) and the read model's sealed fields.
Each key has an id; the newest key encrypts, every key decrypts, so `onego keys rotate` never
strands data sealed under an older key. A sealed blob is self-describing:

    b"OGS1" | len(key id) (1 byte) | key id (ascii) | nonce (12 bytes) | ciphertext+tag (16)

The algorithm belongs to the key, not to the blob: a key is created for SM4 (16-byte key,
GB/T 32907, the default) or AES-256 (32-byte key) and keeps it. The associated data (`aad`)
binds a blob to its place (for instance the payload's encoding, or a table and column), so a
blob moved elsewhere does not open.

Keys come from the `DATA_KEYS` setting (JSON, for deployments with a secret store) or from
the key file `data_dir/keys.json`, generated at first start with mode 0600, like the JWT key.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from runtime.settings import Settings

Algorithm = Literal["SM4-GCM", "AES-256-GCM"]
MAGIC = b"OGS1"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES: dict[str, int] = {"SM4-GCM": 16, "AES-256-GCM": 32}


class KeyRingError(Exception):
    """A key is missing, or a blob does not open (tampered, moved, or not sealed)."""


@dataclass(frozen=True)
class DataKey:
    id: str
    algorithm: Algorithm
    secret: bytes
    created: str

    def encrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        if self.algorithm == "AES-256-GCM":
            return AESGCM(self.secret).encrypt(nonce, data, aad)
        encryptor = Cipher(algorithms.SM4(self.secret), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        return encryptor.update(data) + encryptor.finalize() + encryptor.tag

    def decrypt(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        if self.algorithm == "AES-256-GCM":
            return AESGCM(self.secret).decrypt(nonce, sealed, aad)
        body, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(self.secret), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(aad)
        return decryptor.update(body) + decryptor.finalize()

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "algorithm": self.algorithm,
            "secret": base64.b64encode(self.secret).decode(),
            "created": self.created,
        }

    @classmethod
    def from_json(cls, raw: dict[str, str]) -> DataKey:
        algorithm = raw.get("algorithm", "SM4-GCM")
        if algorithm not in KEY_BYTES:
            raise KeyRingError(f"key {raw.get('id')!r}: unknown algorithm {algorithm!r}")
        secret = base64.b64decode(raw["secret"])
        if len(secret) != KEY_BYTES[algorithm]:
            raise KeyRingError(
                f"key {raw['id']!r}: {algorithm} needs {KEY_BYTES[algorithm]} bytes, "
                f"got {len(secret)}"
            )
        return cls(raw["id"], algorithm, secret, raw.get("created", ""))  # type: ignore[arg-type]

    @classmethod
    def new(cls, algorithm: Algorithm) -> DataKey:
        return cls(
            id=f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}",
            algorithm=algorithm,
            secret=secrets.token_bytes(KEY_BYTES[algorithm]),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )


class KeyRing:
    """Keys by id; `current` encrypts."""

    def __init__(self, keys: list[DataKey], current: str) -> None:
        if not keys:
            raise KeyRingError("the key ring is empty")
        self.keys = {key.id: key for key in keys}
        if current not in self.keys:
            raise KeyRingError(f"the current key {current!r} is not in the ring")
        self.current = self.keys[current]

    def key(self, key_id: str) -> DataKey:
        try:
            return self.keys[key_id]
        except KeyError:
            raise KeyRingError(
                f"data key {key_id!r} is not in the key ring: restore it (keys.json or "
                f"DATA_KEYS) to read data sealed under it / 密钥 {key_id!r} 不在密钥环中"
            ) from None

    def seal(self, data: bytes, aad: bytes = b"") -> bytes:
        """Encrypt under the current key into a self-describing blob."""
        key_id = self.current.id.encode("ascii")
        nonce = os.urandom(NONCE_BYTES)
        body = self.current.encrypt(nonce, data, aad)
        return MAGIC + bytes([len(key_id)]) + key_id + nonce + body

    @staticmethod
    def is_sealed(blob: bytes) -> bool:
        return blob.startswith(MAGIC)

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1:
            raise KeyRingError("not a sealed blob")
        size = blob[len(MAGIC)]
        return blob[len(MAGIC) + 1 : len(MAGIC) + 1 + size].decode("ascii")

    def open(self, blob: bytes, aad: bytes = b"") -> bytes:
        """Decrypt a blob made by `seal`; KeyRingError when its key is missing or it was
        changed, moved (other associated data) or never sealed."""
        key = self.key(self.key_id_of(blob))
        start = len(MAGIC) + 1 + blob[len(MAGIC)]
        nonce, body = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
        try:
            return key.decrypt(nonce, body, aad)
        except (InvalidTag, ValueError):
            raise KeyRingError(
                f"sealed data under key {key.id!r} failed authentication (changed, or sealed "
                "for another place) / 密文校验失败"
            ) from None

    def to_json(self) -> str:
        return json.dumps(
            {"current": self.current.id, "keys": [k.to_json() for k in self.keys.values()]},
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        try:
            raw = json.loads(text)
            return cls([DataKey.from_json(k) for k in raw["keys"]], raw["current"])
        except (KeyError, TypeError, ValueError) as error:
            raise KeyRingError(f"the key ring is not valid JSON of keys: {error}") from None


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner alone (created 0600, then replaced atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


def load_keyring(key_file: Path, configured: str = "", algorithm: Algorithm = "SM4-GCM") -> KeyRing:
    """The ring from `configured` JSON (DATA_KEYS) if set, else from `key_file`, created
    with one new key of `algorithm` when it does not exist."""
    if configured:
        return KeyRing.from_json(configured)
    if not key_file.exists():
        key = DataKey.new(algorithm)
        _write_private(key_file, KeyRing([key], key.id).to_json())
    return KeyRing.from_json(key_file.read_text())


def keyring_of(settings: Settings) -> KeyRing:
    """The deployment's key ring, as its settings say (DATA_KEYS, else data_dir/keys.json)."""
    return load_keyring(
        settings.data_dir / "keys.json", settings.data_keys, settings.data_key_algorithm
    )


def rotate(key_file: Path, algorithm: Algorithm = "SM4-GCM") -> DataKey:
    """Add a new key to the key file and make it the encrypting one; old keys stay."""
    ring = load_keyring(key_file, algorithm=algorithm)
    key = DataKey.new(algorithm)
    _write_private(key_file, KeyRing([*ring.keys.values(), key], key.id).to_json())
    return key
