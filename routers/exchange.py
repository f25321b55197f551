"""The embedded registries served with the data-exchange contract of `HttpRegistries`.

Mounted at /exchange/v1 only when REGISTRY_TOKEN is set; it lets a second onego deployment
(or the tests) use the HTTP adapter against this one.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request

router = APIRouter(prefix="/exchange/v1", tags=["exchange"], include_in_schema=False)


@router.get("/{registry}/{key}")
async def lookup(
    registry: str,
    key: str,
    request: Request,
    x_exchange_token: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    if x_exchange_token != request.app.state.settings.registry_token:
        raise HTTPException(401, detail="交换令牌无效 / invalid exchange token")
    record = await request.app.state.embedded_registries.lookup(registry, key)
    if record is None:
        raise HTTPException(404, detail="无记录 / no record")
    return record
