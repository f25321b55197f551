"""`/metrics`: onego's figures in the Prometheus text format (outside /api/v1)."""

import secrets

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request) -> Response:
    """Counters and histograms of cases and items, read from the read model on each scrape
    (core/prometheus.py); a bearer token is required when METRICS_TOKEN is set."""
    token = request.app.state.settings.metrics_token
    if token and not secrets.compare_digest(
        request.headers.get("authorization", ""), f"Bearer {token}"
    ):
        raise HTTPException(401, "需要监控令牌 / a metrics token is required")
    return Response(generate_latest(request.app.state.prometheus), media_type=CONTENT_TYPE_LATEST)
