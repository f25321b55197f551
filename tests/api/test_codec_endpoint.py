"""The Temporal Web UI's remote codec endpoint: admins and auditors decode, others are refused,
every call is audited, CORS answers the UI's origin only."""

import base64
import json
from typing import Any

import pytest
from google.protobuf import json_format
from sqlmodel import Session, col, select
from temporalio.api.common.v1 import Payloads

from routers.deps import TOKEN_COOKIE
from security.codec import ENCODING
from store.models import AuditEvent, Role
from tests.conftest import TEST_CONVERTER
from tests.helpers import Api, newborn_form

pytestmark = pytest.mark.timeout(60)

FORM = newborn_form()
VALUE = {"mother_id": FORM["mother_id"], "household_address": FORM["household_address"]}
UI = "http://127.0.0.1:8233"  # the dev server's Web UI (settings.temporal_ui_port)


async def sealed_body() -> str:
    """A request as the UI sends it: sealed payloads in the JSON form of `Payloads`."""
    payloads = await TEST_CONVERTER.encode([VALUE, "plain text"])
    return json_format.MessageToJson(Payloads(payloads=payloads))


def values_of(response_json: dict[str, Any]) -> list[Any]:
    return [json.loads(base64.b64decode(p["data"])) for p in response_json["payloads"]]


def codec_rows(api: Api, action: str) -> list[AuditEvent]:
    with Session(api.engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == action)
        return list(session.exec(query.order_by(col(AuditEvent.seq))).all())


async def post(api: Api, path: str, body: str, **headers: str) -> Any:
    return await api.http.post(
        path,
        content=body,
        headers={"Content-Type": "application/json", "X-Namespace": "default", **headers},
    )


@pytest.mark.parametrize("role", [Role.admin, Role.auditor])
async def test_admins_and_auditors_decode_and_each_call_is_audited(api: Api, role: Role) -> None:
    who = await api.account(role)
    body = await sealed_body()
    assert FORM["mother_id"] not in body
    before = len(codec_rows(api, "codec.decode"))
    for _ in range(2):
        response = await post(api, "/codec/decode", body, Origin=UI, **who.headers)
        assert response.status_code == 200, response.text
        assert values_of(response.json()) == [VALUE, "plain text"]
        assert response.headers["access-control-allow-origin"] == UI
        assert response.headers["access-control-allow-credentials"] == "true"
    rows = codec_rows(api, "codec.decode")[before:]
    assert [(r.actor_name, r.role, r.outcome) for r in rows] == [
        (who.user.username, role.value, "success")
    ] * 2
    assert all(FORM["mother_id"] not in r.detail for r in rows)


async def test_the_web_session_cookie_is_accepted(api: Api) -> None:
    auditor = await api.account(Role.auditor)
    token = auditor.headers["Authorization"].removeprefix("Bearer ")
    api.http.cookies.set(TOKEN_COOKIE, token)
    try:
        response = await post(api, "/codec/decode", await sealed_body(), Origin=UI)
    finally:
        api.http.cookies.clear()
    assert response.status_code == 200, response.text
    assert values_of(response.json())[0] == VALUE


@pytest.mark.parametrize("role", [Role.clerk, Role.applicant, Role.manager, None])
async def test_other_roles_and_anonymous_are_refused_and_audited(
    api: Api, role: Role | None
) -> None:
    headers = (await api.account(role, "public-security" if role else None)).headers if role else {}
    before = len(codec_rows(api, "codec.decode"))
    response = await post(api, "/codec/decode", await sealed_body(), Origin=UI, **headers)
    assert response.status_code == 403, response.text
    error = response.json()
    assert error["message"]["zh"] and "auditor" in error["message"]["en"]
    assert FORM["mother_id"] not in response.text
    assert response.headers["access-control-allow-origin"] == UI  # the UI can show the refusal
    rows = codec_rows(api, "codec.decode")[before:]
    assert [r.outcome for r in rows] == ["denied"]


async def test_encode_is_for_admins_alone(api: Api) -> None:
    admin, auditor = await api.account(Role.admin), await api.account(Role.auditor)
    body = json_format.MessageToJson(
        Payloads(payloads=TEST_CONVERTER.payload_converter.to_payloads([VALUE]))
    )
    refused = await post(api, "/codec/encode", body, **auditor.headers)
    assert refused.status_code == 403, refused.text
    sealed = await post(api, "/codec/encode", body, **admin.headers)
    assert sealed.status_code == 200, sealed.text
    payloads = json_format.Parse(sealed.text, Payloads()).payloads
    assert payloads[0].metadata["encoding"] == ENCODING
    assert await TEST_CONVERTER.decode(payloads, [dict]) == [VALUE]
    outcomes = [r.outcome for r in codec_rows(api, "codec.encode")[-2:]]
    assert outcomes == ["denied", "success"]


async def test_cors_preflight_answers_the_ui_origin_only(api: Api) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
    }
    for origin in (UI, "http://localhost:8233"):
        allowed = await api.http.options("/codec/decode", headers={"Origin": origin, **preflight})
        assert allowed.status_code == 204
        assert allowed.headers["access-control-allow-origin"] == origin
        assert allowed.headers["access-control-allow-credentials"] == "true"
        assert "x-namespace" in allowed.headers["access-control-allow-headers"].lower()
    other = await api.http.options(
        "/codec/decode", headers={"Origin": "http://evil.example", **preflight}
    )
    assert other.status_code == 403
    assert "access-control-allow-origin" not in other.headers


async def test_another_namespace_and_a_malformed_body(api: Api) -> None:
    admin = await api.account(Role.admin)
    same = await post(api, "/codec/decode", await sealed_body(), **admin.headers)
    assert same.status_code == 200, same.text
    elsewhere = await api.http.post(
        "/codec/decode",
        content=await sealed_body(),
        headers={"X-Namespace": "someone-else", **admin.headers},
    )
    assert elsewhere.status_code == 404, elsewhere.text
    malformed = await post(api, "/codec/decode", "not json", **admin.headers)
    assert malformed.status_code == 400, malformed.text
    assert malformed.json()["message"]["en"]
