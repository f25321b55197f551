"""The embedded registries served with the data-exchange contract of `HttpRegistries`.

Mounted at /exchange/v1 only when REGISTRY_TOKEN is set; it lets a second onego deployment
(or the tests) use the HTTP adapter against this one.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request

from domain.text import Text
from routers.responses import api_error

router = APIRouter(prefix="/exchange/v1", tags=["exchange"], include_in_schema=False)


@router.get("/{registry}/{key}")
async def lookup(
    registry: str,
    key: str,
    request: Request,
    x_exchange_token: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    if x_exchange_token != request.app.state.settings.registry_token:
        raise api_error(401, Text(zh="交换令牌无效", en="invalid exchange token"))
    record = await request.app.state.embedded_registries.lookup(registry, key)
    if record is None:
        raise api_error(404, Text(zh="无记录", en="no record"))
    return record
