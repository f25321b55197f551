"""The pydantic data converter, with one payload converter shared by every copy of it.

temporalio (1.35) copies the data converter for every workflow activation, every activity
task and every command with a serialization context of its own, and each copy builds a new
payload converter. `PydanticPayloadConverter` keeps its pydantic `TypeAdapter`s in a cache of
the instance, so every copy started with an empty one and built the adapter of each payload it
decoded again: a decode cost 83 us instead of 15 (tests/runtime/test_payloads.py holds the
sharing, bench/ the cost). The converters hold no state but that cache, so sharing them
changes no payload.
"""

from collections.abc import Mapping
from typing import ClassVar

from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter, EncodingPayloadConverter


class SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """`PydanticPayloadConverter` whose instances share the first one's encoding converters
    (and so their `TypeAdapter` cache)."""

    _shared: ClassVar[Mapping[bytes, EncodingPayloadConverter] | None] = None

    def __init__(self) -> None:
        cls = type(self)
        if cls._shared is None:
            super().__init__()
            cls._shared = self.converters
        else:
            self.converters = cls._shared


# Plain payloads (tests, benchmarks); onego's clients seal them (security/codec.py).
plain_converter = DataConverter(payload_converter_class=SharedPydanticPayloadConverter)
