"""Personal columns of the read model sealed at rest with the data key ring (core/keyring.py).

A `SealedJSON` column holds a JSON value (the case's form, issued outputs, an event's
detail, a notification's text) encrypted with the ring's current key (SM4-GCM by default)
and bound to its place: the associated data is "table.column", so a value copied into
another column, or another table, does not open. The database stores the sealed blob as a
JSON string of base64 text (the column keeps its JSON type on SQLite and PostgreSQL, so no
table is rebuilt); every reader through SQLAlchemy (ORM or Core) gets the plain value back,
and a raw `SELECT` sees only ciphertext.

The ring is one per process: `use_keyring` (the API and the workers call it with the ring of
their settings) makes a ring the sealing one, and earlier rings' keys keep opening. A process
that configured none (the CLI, the simulation) takes the ring of `get_settings()` at its
first sealed read or write.
"""

from __future__ import annotations

import base64
import json
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON
from sqlalchemy.types import TypeDecorator

from security.keyring import MAGIC, KeyRing, KeyRingError, keyring_of

if TYPE_CHECKING:
    from runtime.settings import Settings

SEALED_PREFIX = base64.b64encode(MAGIC).decode()[:4]  # "T0dT": every sealed value starts so
_ring: KeyRing | None = None
_lock = threading.Lock()


def use_keyring(ring: KeyRing) -> KeyRing:
    """Seal with `ring`'s current key from now on; keys of rings used before keep opening
    (one process may serve several test databases, each with the ring of its settings)."""
    global _ring
    with _lock:
        keys = {**(_ring.keys if _ring else {}), **ring.keys}
        _ring = KeyRing(list(keys.values()), ring.current.id)
        return _ring


def use_settings(settings: Settings) -> KeyRing:
    """Seal with the ring of `settings` (DATA_KEYS, else data_dir/keys.json)."""
    return use_keyring(keyring_of(settings))


def keyring() -> KeyRing:
    """The process's ring; the ring of `get_settings()` if none was configured."""
    if _ring is None:
        from runtime.settings import get_settings

        return use_settings(get_settings())
    return _ring


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def seal_value(value: Any, place: str) -> str:
    """The JSON value sealed for `place` ("table.column"), as base64 text."""
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.b64encode(keyring().seal(data, place.encode())).decode("ascii")


def open_value(sealed: str, place: str) -> Any:
    """The JSON value of a sealed text; KeyRingError if it is plain, changed, sealed for
    another place, or under a key the ring does not hold."""
    if not is_sealed(sealed):
        raise KeyRingError(
            f"{place} holds a value that is not sealed: run the migrations (onego runs them "
            f"at start) / {place} 中有未加密的值"
        )
    return json.loads(keyring().open(base64.b64decode(sealed), place.encode()))


def stored(value: Any, place: str) -> str:
    """The text a sealed column stores for `value`: for bulk writers that bypass SQLAlchemy
    (store/seed.py's COPY and executemany)."""
    return json.dumps(seal_value(value, place))


class SealedJSON(TypeDecorator[Any]):
    """A JSON column sealed at rest; `place` ("table.column") is the associated data."""

    impl = JSON
    cache_ok = True

    def __init__(self, place: str) -> None:
        super().__init__(none_as_null=True)
        self.place = place

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else seal_value(value, self.place)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else open_value(value, self.place)
