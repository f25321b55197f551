"""`/metrics`: onego's figures in the Prometheus text format (outside /api/v1)."""

import ipaddress
import secrets

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from domain.text import Text
from routers.responses import api_error
from runtime.network import is_loopback

router = APIRouter()


def served_on_loopback_only(request: Request) -> bool:
    """API_HOST is a loopback address and the request reached a loopback address of ours.

    The second check covers servers started with their own `--host` (compose runs
    `uvicorn --host 0.0.0.0`, whatever API_HOST says): the ASGI scope's `server` is the
    local address the connection arrived on. A server name that is not an address (a unix
    socket's path, a test transport's host name) says nothing and is not held against it.
    """
    if not is_loopback(request.app.state.settings.api_host):
        return False
    server = request.scope.get("server")
    if not server:
        return True
    try:
        address = ipaddress.ip_address(str(server[0]).strip("[]"))
    except ValueError:
        return True
    return address.is_loopback


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request) -> Response:
    """Counters and histograms of cases and items, read from the read model on each scrape
    (core/prometheus.py). A bearer token is required when METRICS_TOKEN is set; without one,
    /metrics answers only while it is served on loopback only (403 otherwise)."""
    token = request.app.state.settings.metrics_token
    if not token and not served_on_loopback_only(request):
        raise api_error(
            403,
            Text(
                zh="监控端点未对本机以外开放：请设置 METRICS_TOKEN",
                en="/metrics is closed beyond this machine: set METRICS_TOKEN",
            ),
        )
    if token and not secrets.compare_digest(
        request.headers.get("authorization", ""), f"Bearer {token}"
    ):
        raise api_error(401, Text(zh="需要监控令牌", en="a metrics token is required"))
    return Response(generate_latest(request.app.state.prometheus), media_type=CONTENT_TYPE_LATEST)
