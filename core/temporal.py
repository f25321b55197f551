"""The Temporal client as every onego process creates it."""

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter

from core.settings import Settings


async def connect(settings: Settings) -> Client:
    """Connect to Temporal with the pydantic data converter; calls are traced, and workers
    built on this client trace workflows and activities (`TracingInterceptor`), carrying the
    caller's trace context into the workflow."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        interceptors=[TracingInterceptor()],
    )
