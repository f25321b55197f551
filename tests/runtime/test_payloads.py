"""Every copy of onego's data converter shares one payload converter's cached adapters
(runtime/payloads.py)."""

import dataclasses
from datetime import UTC, datetime

from temporalio.converter import DataConverter

from runtime.payloads import SharedPydanticPayloadConverter, plain_converter
from security.codec import sealed_converter
from security.keyring import DataKey, KeyRing
from workflows.models import ItemResult


def sealed() -> DataConverter:
    key = DataKey.new("SM4-GCM")
    return sealed_converter(KeyRing([key], key.id))


def test_the_sealed_and_plain_converters_share_their_payload_converters() -> None:
    for converter in (sealed(), plain_converter):
        assert converter.payload_converter_class is SharedPydanticPayloadConverter
        # temporalio builds one per copy of the data converter (each activation, each task)
        first, second = converter.payload_converter_class(), converter.payload_converter_class()
        assert first is not second
        assert first.converters is second.converters  # and so the TypeAdapter cache
        assert b"json/plain" in first.converters


async def test_a_copy_of_the_converter_reads_what_another_wrote() -> None:
    converter = sealed()
    value = ItemResult(
        item="birth_certificate", outputs={"no": "1"}, issued_at=datetime(2026, 12, 8, tzinfo=UTC)
    )
    payloads = await converter.encode([value])
    for _ in range(3):  # the copies the SDK makes, as it makes them
        copy = dataclasses.replace(converter)
        assert await copy.decode(payloads, [ItemResult]) == [value]
