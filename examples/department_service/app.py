"""The reference department service: the HTTP department contract, with a real system's
manners (it takes time, issues some outputs later, is sometimes unavailable, revokes)."""

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from temporalio.exceptions import ApplicationError

from adapters.http import (
    HEALTH,
    IDEMPOTENCY_HEADER,
    ITEM_REQUESTS,
    REVOCATIONS,
    ContractError,
    HealthAnswer,
    IssueAnswer,
    RevocationAnswer,
    idempotency_key,
)
from adapters.signing import SignatureRefused, verify
from adapters.simulated import make_output
from domain.text import Text
from examples.department_service.ledger import Issue, Ledger
from examples.department_service.settings import ServiceSettings
from workflows.models import CompensationRequest, ItemRequest

MESSAGES = {
    "missing_signature": Text(zh="请求未签名", en="the request is not signed"),
    "unknown_department": Text(
        zh="请求签给了其他部门", en="the request is signed for another department"
    ),
    "bad_signature": Text(zh="签名无效", en="the signature is not valid"),
    "stale_timestamp": Text(
        zh="请求时间超出重放窗口", en="the request's time is outside the replay window"
    ),
    "replayed_nonce": Text(
        zh="请求已处理过（重放）", en="the request was already received (replay)"
    ),
    "invalid_request": Text(
        zh="请求格式不符合接口约定", en="the request does not follow the contract"
    ),
    "idempotency_key_mismatch": Text(
        zh="Idempotency-Key 应为 案件号:事项", en="Idempotency-Key must be case_id:item"
    ),
    "wrong_department": Text(zh="该事项不属于本部门", en="the item is not this department's"),
    "ineligible": Text(zh="不符合办理条件", en="not eligible for this item"),
    "missing_fields": Text(zh="办理所需信息不全", en="information the item needs is missing"),
    "revoked": Text(zh="该事项的办理结果已撤销", en="this item's issue was revoked"),
    "unavailable": Text(
        zh="系统暂时不可用，请稍后重试", en="the system is unavailable, try again later"
    ),
    "not_found": Text(zh="接口不存在", en="no such endpoint"),
    "method_not_allowed": Text(
        zh="该接口不支持此方法", en="the endpoint does not take this method"
    ),
}
SIGNATURE_STATUS = 401
M = TypeVar("M", ItemRequest, CompensationRequest)


class Refusal(Exception):
    def __init__(self, status: int, code: str):
        self.status, self.code = status, code


def _error(status: int, code: str) -> JSONResponse:
    body = ContractError(error=code, message=MESSAGES[code])
    headers = {"Retry-After": "1"} if status == 503 else None
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    config = settings or ServiceSettings()  # type: ignore[call-arg]
    ledger = Ledger(config.db_path)
    secret = config.secret.get_secret_value().encode()
    app = FastAPI(title=f"Reference department system ({config.department})")

    async def received(request: Request, model: type[M]) -> M:
        """The request's body as `model`, once the system answers and the signature holds."""
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        if config.unavailable_rate and random.random() < config.unavailable_rate:
            raise Refusal(503, "unavailable")
        body = await request.body()
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if config.broken != "skip_signature":
            try:
                await asyncio.to_thread(
                    verify,
                    request.method,
                    path,
                    body,
                    request.headers,
                    department=config.department,
                    secret=secret,
                    remember_nonce=lambda nonce: ledger.remember_nonce(nonce, config.replay_window),
                    window=config.replay_window,
                )
            except SignatureRefused as refused:
                raise Refusal(SIGNATURE_STATUS, refused.code) from None
        try:
            payload = model.model_validate_json(body)
        except ValidationError:
            raise Refusal(400, "invalid_request") from None
        if payload.department != config.department:
            raise Refusal(400, "wrong_department")
        if request.headers.get(IDEMPOTENCY_HEADER) != idempotency_key(
            payload.case_id, payload.item
        ):
            raise Refusal(400, "idempotency_key_mismatch")
        return payload

    @app.exception_handler(Refusal)
    async def refused(_: Request, refusal: Refusal) -> JSONResponse:
        return _error(refusal.status, refusal.code)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 405:
            return _error(405, "method_not_allowed")
        return _error(404, "not_found")

    @app.get(HEALTH)
    async def health() -> HealthAnswer:
        return HealthAnswer(status="ok", department=config.department)

    @app.post(ITEM_REQUESTS)
    async def item_request(request: Request) -> JSONResponse:
        """Issue the item, once per (case, item): a repeated request answers the first issue,
        or, before it is ready, the time it will be."""
        wanted = await received(request, ItemRequest)
        if wanted.item in config.refuse_items:
            raise Refusal(422, "ineligible")
        try:
            outputs = {output.code: make_output(wanted, output) for output in wanted.outputs}
        except ApplicationError:  # a resident ID without the fields it derives from
            raise Refusal(422, "missing_fields") from None
        ready_at = (
            datetime.now(UTC) + timedelta(seconds=config.ready_after)
            if config.ready_after
            else None
        )
        issue = await asyncio.to_thread(
            ledger.issue_once,
            wanted.case_id,
            wanted.item,
            outputs,
            ready_at,
            config.broken == "issue_twice",
        )
        return _issue_answer(config.department, wanted.item, issue)

    @app.post(REVOCATIONS)
    async def revocation(request: Request) -> RevocationAnswer:
        """Revoke the issue of (case, item); a second revocation answers the first."""
        undo = await received(request, CompensationRequest)
        issue = await asyncio.to_thread(ledger.revoke_once, undo.case_id, undo.item, undo.reason)
        return RevocationAnswer(
            item=undo.item,
            revoked=issue is not None,
            revoked_at=issue.revoked_at if issue else None,
        )

    return app


def _issue_answer(department: str, item: str, issue: Issue) -> JSONResponse:
    if issue.revoked_at is not None:
        raise Refusal(422, "revoked")
    issue_id = f"{department}-{issue.id:08d}"
    if issue.ready_at is not None and datetime.now(UTC) < issue.ready_at:
        answer = IssueAnswer(
            item=item, status="pending", issue_id=issue_id, ready_at=issue.ready_at
        )
        return JSONResponse(answer.model_dump(mode="json"), status_code=202)
    answer = IssueAnswer(
        item=item,
        status="issued",
        issue_id=issue_id,
        outputs=issue.outputs,
        issued_at=issue.issued_at,
    )
    return JSONResponse(answer.model_dump(mode="json"), status_code=200)
