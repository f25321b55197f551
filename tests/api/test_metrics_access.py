"""METRICS_TOKEN is required unless /metrics is served on loopback only: on any other
address, /metrics without a token answers 403 in the project's error format."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from api import create_app
from runtime.network import is_loopback
from runtime.settings import Settings

pytestmark = pytest.mark.timeout(60)


@asynccontextmanager
async def served_as(
    settings: Settings, temporal: object, local_address: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan, reached on `local_address` (the ASGI scope's `server`, as
    uvicorn fills it with the address a connection arrived on)."""
    app = create_app(settings, temporal=temporal)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{local_address}:8000"
        ) as client:
            yield client


def test_loopback_addresses() -> None:
    for host in ("127.0.0.1", "127.0.0.53", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "10.1.2.3", "onego.example.org", ""):
        assert not is_loopback(host), host


@pytest.mark.parametrize(
    ("api_host", "local_address", "open_"),
    [
        ("127.0.0.1", "127.0.0.1", True),  # the embedded default
        ("0.0.0.0", "127.0.0.1", False),  # listening everywhere: a token is needed
        ("127.0.0.1", "10.1.2.3", False),  # `uvicorn --host 0.0.0.0` whatever API_HOST says
    ],
)
async def test_metrics_without_a_token_only_on_loopback(
    dev_env: WorkflowEnvironment,
    engine: Engine,
    settings: Settings,
    api_host: str,
    local_address: str,
    open_: bool,
) -> None:
    configured = settings.model_copy(update={"api_host": api_host})
    async with served_as(configured, dev_env.client, local_address) as client:
        response = await client.get("/metrics")
    if open_:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
    else:
        assert response.status_code == 403
        body = response.json()
        assert body["error"] == "http_403"
        assert "METRICS_TOKEN" in body["message"]["zh"]
        assert "METRICS_TOKEN" in body["message"]["en"]


async def test_a_token_opens_metrics_on_any_address(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    configured = settings.model_copy(update={"api_host": "0.0.0.0", "metrics_token": "scrape"})
    async with served_as(configured, dev_env.client, "10.1.2.3") as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer no"})
        assert wrong.status_code == 401
        right = await client.get("/metrics", headers={"Authorization": "Bearer scrape"})
        assert right.status_code == 200
