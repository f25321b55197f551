"""Temporal payload encryption: every payload onego sends to Temporal is sealed with the data
key ring (core/keyring.py, SM4-GCM by default), failure messages and stack traces included.

A sealed payload carries

    metadata  encoding = binary/encrypted, encryption-key-id = <key id>,
              encryption-cipher = SM4-GCM | AES-256-GCM
    data      KeyRing.seal(the whole original Payload serialized, aad = b"binary/encrypted")

so Temporal's history, its Web UI and anyone reading its database see ciphertext only. GCM
authenticates: without the key nobody can make a payload that opens, so a direct caller of
Temporal's frontend cannot send an update (or an actor) the workers will accept.

A plain (unsealed) payload is refused on decode unless the migration mode
(`PAYLOAD_PLAIN_ACCEPTED=true`) is on, and a sealed one that does not open (its key missing,
or forged or changed) is refused too. A refusal is not an exception in the SDK's path: the
payload decodes to one of an encoding no converter reads (`binary/plain-refused`,
`binary/encrypted-unopened`). That way an update sent straight to Temporal without the key is
*rejected* by the worker (its argument does not convert, before the validator runs) instead
of failing the workflow task over and over and stalling the case, and a client reading such a
payload gets a conversion error. Every refusal is logged as an error (the key id when one is
missing), each acceptance in migration mode as a warning with a running count; never a
payload's content. `SealingCodec.open` itself raises KeyRingError, naming the key.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from runtime.payloads import plain_converter
from runtime.settings import Settings
from security.keyring import KeyRing, KeyRingError, keyring_of

log = logging.getLogger("onego.codec")

ENCODING = b"binary/encrypted"
REFUSED = b"binary/plain-refused"
UNOPENED = b"binary/encrypted-unopened"
KEY_ID = "encryption-key-id"
CIPHER = "encryption-cipher"
FIX = (
    "a plain (unsealed) Temporal payload was refused: every onego client and worker must use "
    "security.codec.data_converter; while cases started before payload encryption still run, set "
    "PAYLOAD_PLAIN_ACCEPTED=true (docs/security.md) / 已拒绝未加密的 Temporal 载荷"
)


def is_sealed(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


class SealingCodec(PayloadCodec):
    """Seals payloads under the key ring's current key; opens them under any key of the ring."""

    def __init__(self, ring: KeyRing, plain_accepted: bool = False) -> None:
        super().__init__()
        self.ring = ring
        self.plain_accepted = plain_accepted
        self.plain_seen = 0  # plain payloads met (accepted in migration mode, else refused)

    def seal(self, payload: Payload) -> Payload:
        key = self.ring.current
        return Payload(
            metadata={
                "encoding": ENCODING,
                KEY_ID: key.id.encode(),
                CIPHER: key.algorithm.encode(),
            },
            data=self.ring.seal(payload.SerializeToString(), aad=ENCODING),
        )

    def open(self, payload: Payload) -> Payload:
        """The original payload; KeyRingError (naming the key id) when the key is missing or
        the payload was changed."""
        if not is_sealed(payload):
            return self._plain(payload)
        return Payload.FromString(self.ring.open(payload.data, aad=ENCODING))

    def _decode_one(self, payload: Payload) -> Payload:
        """`open` as the SDK needs it: a sealed payload that does not open (its key is
        missing, or it was forged or changed) is logged as an error naming the key, and
        decodes to `binary/encrypted-unopened`, which no converter reads. An update carrying
        one is then rejected; a workflow input or activity result fails the workflow task,
        which Temporal retries until the key is restored. Raising here instead would fail
        the workflow task for a forged update too, stalling the case for its real clerk."""
        if not is_sealed(payload):
            return self._plain(payload)
        try:
            return self.open(payload)
        except (KeyRingError, ValueError) as error:
            log.error("a sealed Temporal payload did not open: %s", error)
            return Payload(metadata={"encoding": UNOPENED})

    def _plain(self, payload: Payload) -> Payload:
        self.plain_seen += 1
        if self.plain_accepted:
            log.warning(
                "migration mode: accepted a plain Temporal payload (%d so far); turn "
                "PAYLOAD_PLAIN_ACCEPTED off once no case started before encryption runs",
                self.plain_seen,
            )
            return payload
        log.error("%s (%d refused so far)", FIX, self.plain_seen)
        return Payload(metadata={"encoding": REFUSED})

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decode_one(p) for p in payloads]


def sealed_converter(ring: KeyRing, plain_accepted: bool = False) -> DataConverter:
    """The pydantic data converter with payloads sealed by `ring` and failure messages and
    stack traces moved into (sealed) encoded attributes."""
    return dataclasses.replace(
        plain_converter,
        payload_codec=SealingCodec(ring, plain_accepted),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(settings: Settings) -> DataConverter:
    """The data converter of every Temporal client and worker onego creates."""
    return sealed_converter(keyring_of(settings), settings.payload_plain_accepted)


def codec_of(converter: DataConverter) -> SealingCodec:
    codec = converter.payload_codec
    assert isinstance(codec, SealingCodec), "not an onego sealed data converter"
    return codec
