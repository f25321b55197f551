"""The registry adapter contract."""

from typing import Any, Protocol


class RegistryUnavailable(Exception):
    """The registry could not be reached; callers fall back to asking the applicant."""


class RegistryAdapter(Protocol):
    async def lookup(self, registry: str, key: str) -> dict[str, Any] | None:
        """The record `registry` holds under `key` (resident ID or credit code), or None."""
        ...
