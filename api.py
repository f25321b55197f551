"""The onego HTTP API (FastAPI): applicants, departments, managers, admin under /api/v1."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from temporalio.client import Client

from cases.errors import CaseError
from cases.reconciler import Reconciler
from cases.submission import SubmissionRejected
from catalog.loader import get_catalog
from domain.text import Text
from forms.messages import problems_from
from middleware import backpressure
from middleware.bounds import RequestBounds, is_nul_refused, nul_refused
from middleware.headers import SecurityHeaders
from middleware.language import OneLanguage
from middleware.limits import BodySizeLimit
from observability import telemetry
from observability.prometheus import RequestMetrics, registry_for
from registries.embedded import EmbeddedRegistries
from registries.http import HttpRegistries
from routers import (
    audit,
    auth,
    cases,
    codec,
    documents,
    exchange,
    metrics,
    prometheus,
    scenarios,
    tasks,
)
from routers.errors import RETRY_AFTER_S, as_http, unavailable_text
from routers.responses import EVERY
from routers.schemas import ErrorResponse
from runtime.heap import freeze_startup_heap
from runtime.settings import Settings, get_settings
from runtime.temporal import TemporalUnavailable, connect, use_deadlines
from security.tokens import dummy_hash
from store import sealed
from store.db import PoolSizing, create_schema, make_engine
from web import api_docs
from web import install as install_web
from web.common import invalid_page_request, is_page, page_error_of
from web.uploads import PAGE_FILES, PAGE_UPLOADS

log = logging.getLogger("onego.api")
UPLOAD_FRAMING_BYTES = 64 * 1024  # multipart boundaries and part headers of one upload


LANGUAGES = """Texts for people are bilingual objects, `{"zh": "…", "en": "…"}` (zh-CN first):
error messages and their problems, names, progress, notifications. Send `Accept-Language:
zh-CN` (or `zh`) or `Accept-Language: en` to get each of them with that language's key alone,
e.g. `{"en": "Not signed in"}`, with `Content-Language` naming it; without the header (or with
neither language in it) both keys are present. Every JSON answer varies by Accept-Language.
文本为双语对象；请求头 `Accept-Language: zh-CN` 或 `en` 时只返回该语言的键。"""


def _error(status: int, error: str, message: Text, problems: list | None = None) -> JSONResponse:
    body = ErrorResponse(error=error, message=message, problems=problems or [])
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


# The framework's own refusals (Starlette, FastAPI) carry an English phrase; ours carry `Text`
# (routers/responses.api_error).
FRAMEWORK_ZH = {
    400: "请求无法读取",
    401: "未登录或登录已失效",
    403: "无权进行此操作",
    404: "没有该资源",
    405: "不支持该请求方法",
    413: "请求内容过大",
}


def _framework_text(status: int, detail: object) -> Text:
    en = str(detail)
    return Text(zh=FRAMEWORK_ZH.get(status, en), en=en)


def _lifespan(
    settings: Settings, temporal: Client | None, requests_registry: CollectorRegistry
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What the app opens at start (database, Temporal, registries, the reconciler) and
    closes at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.catalog = get_catalog(settings.catalog_dir)
        sealed.use_settings(settings)  # the read model's sealed columns
        app.state.engine = make_engine(
            settings.resolved_database_url,
            traced=settings.otel_sql_spans,
            pool=PoolSizing.of(settings),
        )
        backpressure.configure(app, settings)  # the thread limiter and the database gate
        create_schema(app.state.engine)
        dummy_hash()  # made now: the first unknown name's sign-in costs what the others do
        app.state.prometheus = registry_for(app.state.engine, requests_registry)
        # traced: a case's workflow joins the trace of the request that submitted it
        app.state.temporal = (
            telemetry.traced_client(temporal) if temporal else await connect(settings)
        )
        app.state.embedded_registries = EmbeddedRegistries()
        app.state.registries = (
            HttpRegistries(settings.registry_url, settings.registry_token)
            if settings.registry_url
            else app.state.embedded_registries
        )
        use_deadlines(settings)  # every Temporal call of this process is bounded
        # cases stored but not started (Temporal not answering, a crash): started within
        # seconds, now and every RECONCILE_SECONDS (cases/reconciler.py)
        reconciler = Reconciler(
            app.state.engine,
            app.state.temporal,
            app.state.catalog,
            settings.queues,
            settings.reconcile_seconds,
        )
        reconciling = asyncio.create_task(reconciler.run(), name="reconciler")
        freeze_startup_heap()  # no request waits for a full scan of the start-up heap
        yield
        reconciling.cancel()
        await asyncio.gather(reconciling, return_exceptions=True)
        if isinstance(app.state.registries, HttpRegistries):
            await app.state.registries.aclose()
        app.state.engine.dispose()
        telemetry.flush()

    return lifespan


def _add_middleware(app: FastAPI, settings: Settings, requests_registry: CollectorRegistry) -> None:
    """Bounds, headers, language and metrics around every request (the last added is
    outermost)."""
    app.add_middleware(RequestBounds)  # inside BodySizeLimit: reads bodies already capped
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        # an upload: the document and its multipart framing (documents/limits.py refuses it
        # in detail when the document alone is too large)
        larger={
            "/api/v1/documents": settings.document_max_bytes + UPLOAD_FRAMING_BYTES,
            # the pages' forms with a file per material (web/applicant.py)
            **dict.fromkeys(
                PAGE_UPLOADS, settings.document_max_bytes * PAGE_FILES + UPLOAD_FRAMING_BYTES
            ),
        },
    )
    app.add_middleware(SecurityHeaders, hsts=settings.tls_terminated)  # 413 too
    app.add_middleware(OneLanguage)  # Accept-Language: the JSON's texts in that language
    app.add_middleware(RequestMetrics, registry=requests_registry)  # outermost: every status
    telemetry.instrument_app(app)

    # 503 + Retry-After when the database is saturated (an error page for a page)
    backpressure.install(app, settings, page_error_of)


async def _rejected(_: Request, exc: SubmissionRejected) -> JSONResponse:
    first = exc.problems[0]
    message = (
        first.message
        if len(exc.problems) == 1
        else Text(
            zh=f"申请有 {len(exc.problems)} 处问题，均未受理",
            en=f"{len(exc.problems)} problems; nothing was created",
        )
    )
    return _error(
        exc.status_code,
        first.code if exc.status_code != 422 else "invalid_form",
        message,
        exc.problems,
    )


async def _temporal_unavailable(_: Request, exc: TemporalUnavailable) -> JSONResponse:
    response = _error(503, "temporal_unavailable", unavailable_text())
    response.headers["Retry-After"] = RETRY_AFTER_S
    return response


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    if is_page(request):
        return invalid_page_request(request, exc)
    problems = problems_from(exc.errors(), prefix=None)
    return _error(
        422,
        "invalid_request",
        Text(zh="请求格式有误，均未受理", en="The request is malformed; nothing was created"),
        problems,
    )


async def _nul_in_text(_: Request, exc: DataError) -> Response:
    if not is_nul_refused(exc):
        raise exc
    refused = nul_refused()
    return Response(refused.body(), refused.status, media_type="application/json")


async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
    # ours (a dict: an ErrorResponse, routers/responses.api_error), Starlette's own (405,
    # a form of too many parts) and FastAPI's
    if isinstance(exc.detail, dict):
        response = JSONResponse(
            ErrorResponse.model_validate(exc.detail).model_dump(mode="json"),
            status_code=exc.status_code,
        )
    else:
        message = _framework_text(exc.status_code, exc.detail)
        response = _error(exc.status_code, f"http_{exc.status_code}", message)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def _case_refused(request: Request, exc: CaseError) -> JSONResponse:
    return await _http_error(request, as_http(exc))


# The exception each handler answers (Starlette types a handler as taking any Exception).
ERROR_HANDLERS: dict[type[Exception], Callable[[Request, Any], Awaitable[Response]]] = {
    SubmissionRejected: _rejected,
    TemporalUnavailable: _temporal_unavailable,
    RequestValidationError: _invalid_request,
    DataError: _nul_in_text,
    HTTPException: _http_error,
    CaseError: _case_refused,
}


def _install_error_handlers(app: FastAPI) -> None:
    """Every failure a user can cause answered in the one error format (routers/schemas.py)."""
    for exc, handler in ERROR_HANDLERS.items():
        app.add_exception_handler(exc, handler)


def _include_routers(app: FastAPI, settings: Settings) -> None:
    """The API under /api/v1, its docs, /metrics, the codec, the pages and /healthz."""
    v1 = APIRouter(prefix="/api/v1")
    for module in (auth, scenarios, cases, tasks, metrics, audit, documents):
        v1.include_router(module.router, responses=EVERY)
    app.include_router(v1)
    api_docs.install(app)  # /docs and /redoc without a CDN
    app.include_router(prometheus.router)  # /metrics, outside /api/v1
    app.include_router(codec.router)  # /codec/decode|encode for the Temporal Web UI
    if settings.registry_token:
        app.include_router(exchange.router)
    install_web(app)  # the pages (web/): applicants' and departments' HTML, /static

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}


def create_app(settings: Settings | None = None, temporal: Client | None = None) -> FastAPI:
    """Build the app; tests pass their own settings and Temporal client."""
    settings = settings or get_settings()
    telemetry.setup(settings, "api")
    requests_registry = CollectorRegistry(auto_describe=True)  # /metrics: RequestMetrics's
    app = FastAPI(
        title="onego API",
        summary="一件事一次办: one form, one case, every department",
        description=LANGUAGES,
        version="1.0",
        lifespan=_lifespan(settings, temporal, requests_registry),
        docs_url=None,  # served from local assets by web.api_docs
        redoc_url=None,
        openapi_tags=[
            {"name": "scenarios", "description": "Public catalog / 公开的一件事目录"},
            {"name": "cases", "description": "Applicants' cases / 办件"},
            {"name": "tasks", "description": "Department review tasks / 部门审核任务"},
            {"name": "metrics", "description": "Reform measures for managers / 改革成效"},
            {"name": "auth", "description": "Bearer tokens (OAuth2 password flow)"},
        ],
    )
    _add_middleware(app, settings, requests_registry)
    _install_error_handlers(app)
    _include_routers(app, settings)
    return app


if __name__ == "__main__":
    import uvicorn

    s = get_settings()
    uvicorn.run(create_app(s), host=s.api_host, port=s.api_port)
