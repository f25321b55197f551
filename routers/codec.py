"""The remote codec endpoint of the Temporal Web UI (and `temporal --codec-endpoint`).

Temporal's remote codec protocol: `POST /codec/decode` and `POST /codec/encode` take
`{"payloads": [{"metadata": {...base64}, "data": "base64"}]}` (the JSON form of the
`Payloads` protobuf) and answer the same shape. The UI calls it from the browser, so the
endpoint answers CORS (preflight included, with credentials) for the UI's origin alone.

Decoding shows personal data: only admins and auditors may, with the bearer token (the UI's
"pass the access token" setting) or the web session cookie (the UI's "include cross-origin
credentials"). Encoding makes payloads the workers accept, so only admins may. Every call,
allowed or not, writes an audit row (`codec.decode` / `codec.encode`).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payloads

from domain.text import Text
from routers.deps import TOKEN_COOKIE, SessionDep, SettingsDep, TemporalDep, user_of_token
from routers.responses import api_error
from runtime.settings import Settings
from security.codec import SealingCodec, codec_of, is_sealed
from security.keyring import KeyRingError
from store.audit import audit_request
from store.models import Role, User

router = APIRouter(prefix="/codec", tags=["codec"], include_in_schema=False)

DECODERS = (Role.admin, Role.auditor)
ENCODERS = (Role.admin,)
ALLOWED_HEADERS = "Content-Type, Authorization, X-Namespace"


def ui_origins(settings: Settings) -> set[str]:
    """The Temporal Web UI's origins (the dev server's UI port, by address and by name)."""
    port = settings.temporal_ui_port
    return {f"http://127.0.0.1:{port}", f"http://localhost:{port}"}


def cors_headers(request: Request, settings: Settings) -> dict[str, str]:
    origin = request.headers.get("origin", "")
    if origin not in ui_origins(settings):
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def caller(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """The user of the bearer token, else of the web session cookie; None when neither."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        token = request.cookies.get(TOKEN_COOKIE, "")
    return user_of_token(session, settings, token) if token else None


Caller = Annotated[User | None, Depends(caller)]


@router.options("/decode")
@router.options("/encode")
def preflight(request: Request, settings: SettingsDep) -> Response:
    """The browser's CORS preflight: allowed for the UI's origin only."""
    headers = cors_headers(request, settings)
    return Response(status_code=204 if headers else 403, headers=headers)


async def _payloads(request: Request, cors: dict[str, str]) -> Payloads:
    try:
        return json_format.Parse(await request.body(), Payloads())
    except (json_format.ParseError, DecodeError, UnicodeDecodeError):
        raise api_error(
            400,
            Text(
                zh='请求体应为 {"payloads": [...]}',
                en="""the body must be {"payloads": [...]} (Temporal's remote codec protocol)""",
            ),
            headers=cors,
        ) from None


def _answer(payloads: list, cors: dict[str, str]) -> Response:
    body = json_format.MessageToJson(Payloads(payloads=payloads), indent=None)
    return Response(body, media_type="application/json", headers=cors)


async def _serve(
    request: Request,
    session: SessionDep,
    settings: Settings,
    temporal: TemporalDep,
    user: User | None,
    namespace: str | None,
    action: str,
    roles: tuple[Role, ...],
) -> Response:
    cors = cors_headers(request, settings)
    allowed = user is not None and user.role in roles
    if namespace and namespace != settings.temporal_namespace:
        allowed = False
    if not allowed:
        audit_request(session, request, user, action, outcome="denied", object_type="codec")
        session.commit()
        if namespace and namespace != settings.temporal_namespace:
            raise api_error(
                404,
                Text(zh="没有该命名空间的编解码", en=f"no codec for namespace {namespace}"),
                headers=cors,
            )
        names = ", ".join(r.value for r in roles)
        raise api_error(
            403,
            Text(zh=f"该操作仅限以下已登录角色：{names}", en=f"only signed-in {names} may do this"),
            headers=cors,
        )
    payloads = (await _payloads(request, cors)).payloads
    codec: SealingCodec = codec_of(temporal.data_converter)
    outcome, detail = (
        "success",
        f"{len(payloads)} payloads, namespace {settings.temporal_namespace}",
    )
    try:
        if action == "codec.encode":
            result = [codec.seal(p) for p in payloads]
        else:  # a plain payload (Temporal's own markers and headers) is shown as it is
            result = [codec.open(p) if is_sealed(p) else p for p in payloads]
    except (KeyRingError, ValueError) as error:
        outcome = "failure"
        raise api_error(422, Text(zh="载荷无法解密", en=str(error)), headers=cors) from None
    finally:
        audit_request(
            session, request, user, action, outcome=outcome, object_type="codec", detail=detail
        )
        session.commit()
    return _answer(result, cors)


@router.post("/decode")
async def decode(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    user: Caller,
    x_namespace: Annotated[str | None, Header()] = None,
) -> Response:
    """Open sealed payloads for the Web UI (admin, auditor)."""
    return await _serve(
        request, session, settings, temporal, user, x_namespace, "codec.decode", DECODERS
    )


@router.post("/encode")
async def encode(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    user: Caller,
    x_namespace: Annotated[str | None, Header()] = None,
) -> Response:
    """Seal payloads the Web UI sends (signals, queries it starts): admin only."""
    return await _serve(
        request, session, settings, temporal, user, x_namespace, "codec.encode", ENCODERS
    )
