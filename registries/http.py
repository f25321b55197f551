"""Registries reached through a data-exchange service over HTTP (production form).

Contract: `GET {base_url}/{registry}/{key}` answers 200 with the record as a JSON object or
404 when the registry holds nothing for the key; `X-Exchange-Token` authenticates onego.
"""

from typing import Any

import httpx

from registries.base import RegistryUnavailable


class HttpRegistries:
    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"X-Exchange-Token": token},
        )

    async def lookup(self, registry: str, key: str) -> dict[str, Any] | None:
        try:
            response = await self._client.get(f"/{registry}/{key}")
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(f"{registry}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RegistryUnavailable(f"{registry}: HTTP {response.status_code}")
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()
