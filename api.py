"""The onego HTTP API (FastAPI): applicants, departments, managers, admin under /api/v1."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from temporalio.client import Client

from cases.reconciler import Reconciler
from cases.submission import SubmissionRejected
from catalog.loader import get_catalog
from catalog.models import Text
from forms.messages import problems_from
from middleware import backpressure
from middleware.bounds import RequestBounds, is_nul_refused, nul_refused
from middleware.headers import SecurityHeaders
from middleware.limits import BodySizeLimit
from observability import telemetry
from observability.prometheus import registry_for
from registries.embedded import EmbeddedRegistries
from registries.http import HttpRegistries
from routers import audit, auth, cases, codec, exchange, metrics, prometheus, scenarios, tasks
from routers.responses import EVERY
from routers.schemas import ErrorResponse
from routers.workflow_calls import RETRY_AFTER_S, unavailable_text
from runtime.settings import Settings, get_settings
from runtime.temporal import TemporalUnavailable, connect, use_deadlines
from security.tokens import dummy_hash
from store import sealed
from store.db import PoolSizing, create_schema, make_engine
from web import install as install_web
from web.common import invalid_page_request, is_page

log = logging.getLogger("onego.api")


def _error(status: int, error: str, message: Text, problems: list | None = None) -> JSONResponse:
    body = ErrorResponse(error=error, message=message, problems=problems or [])
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


def _text(detail: object) -> Text:
    zh, _, en = str(detail).partition(" / ")
    return Text(zh=zh, en=en or zh)


def create_app(settings: Settings | None = None, temporal: Client | None = None) -> FastAPI:
    """Build the app; tests pass their own settings and Temporal client."""
    settings = settings or get_settings()
    telemetry.setup(settings, "api")

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
        app.state.prometheus = registry_for(app.state.engine)
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
        # seconds, now and every RECONCILE_SECONDS (core/reconciler.py)
        reconciler = Reconciler(
            app.state.engine,
            app.state.temporal,
            app.state.catalog,
            settings.queues,
            settings.reconcile_seconds,
        )
        reconciling = asyncio.create_task(reconciler.run(), name="reconciler")
        yield
        reconciling.cancel()
        await asyncio.gather(reconciling, return_exceptions=True)
        if isinstance(app.state.registries, HttpRegistries):
            await app.state.registries.aclose()
        app.state.engine.dispose()
        telemetry.flush()

    app = FastAPI(
        title="onego API",
        summary="一件事一次办: one form, one case, every department",
        version="1.0",
        lifespan=lifespan,
        openapi_tags=[
            {"name": "scenarios", "description": "Public catalog / 公开的一件事目录"},
            {"name": "cases", "description": "Applicants' cases / 办件"},
            {"name": "tasks", "description": "Department review tasks / 部门审核任务"},
            {"name": "metrics", "description": "Reform measures for managers / 改革成效"},
            {"name": "auth", "description": "Bearer tokens (OAuth2 password flow)"},
        ],
    )
    app.add_middleware(RequestBounds)  # inside BodySizeLimit: reads bodies already capped
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, hsts=settings.tls_terminated)  # outermost: 413 too
    telemetry.instrument_app(app)

    backpressure.install(app, settings)  # 503 + Retry-After when the database is saturated

    @app.exception_handler(SubmissionRejected)
    async def rejected(_: Request, exc: SubmissionRejected) -> JSONResponse:
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

    @app.exception_handler(TemporalUnavailable)
    async def temporal_unavailable(_: Request, exc: TemporalUnavailable) -> JSONResponse:
        response = _error(503, "temporal_unavailable", unavailable_text())
        response.headers["Retry-After"] = RETRY_AFTER_S
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if is_page(request):
            return invalid_page_request(request, exc)
        problems = problems_from(exc.errors(), prefix=None)
        return _error(
            422,
            "invalid_request",
            Text(zh="请求格式有误，均未受理", en="The request is malformed; nothing was created"),
            problems,
        )

    @app.exception_handler(DataError)
    async def nul_in_text(_: Request, exc: DataError) -> Response:
        if not is_nul_refused(exc):
            raise exc
        refused = nul_refused()
        return Response(refused.body(), refused.status, media_type="application/json")

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        # Starlette's own (405, a form of too many parts) as well as FastAPI's
        if isinstance(exc.detail, dict):
            response = JSONResponse(
                ErrorResponse.model_validate(exc.detail).model_dump(mode="json"),
                status_code=exc.status_code,
            )
        else:
            response = _error(exc.status_code, f"http_{exc.status_code}", _text(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    v1 = APIRouter(prefix="/api/v1")
    for module in (auth, scenarios, cases, tasks, metrics, audit):
        v1.include_router(module.router, responses=EVERY)
    app.include_router(v1)
    app.include_router(prometheus.router)  # /metrics, outside /api/v1
    app.include_router(codec.router)  # /codec/decode|encode for the Temporal Web UI
    if settings.registry_token:
        app.include_router(exchange.router)
    install_web(app)  # the pages (web/): applicants' and departments' HTML, /static

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


if __name__ == "__main__":
    import uvicorn

    s = get_settings()
    uvicorn.run(create_app(s), host=s.api_host, port=s.api_port)
