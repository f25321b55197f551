"""The Temporal client as every onego process creates it, and the deadlines of its calls."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from temporalio.client import Client, RPCTimeoutOrCancelledError
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from runtime.settings import Settings
from security.codec import data_converter

# What a call answers when Temporal (its frontend, or the worker an update waits for) does not.
UNANSWERED = (
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
)


class TemporalUnavailable(Exception):
    """Temporal did not answer a call within its deadline, or could not be reached."""


@dataclass(frozen=True)
class Deadlines:
    """Seconds a call may take: a start, query or describe (`call_s`), an update (`update_s`,
    which waits for a worker to run the validator and the handler)."""

    call_s: float = Settings.model_fields["temporal_call_timeout_s"].default
    update_s: float = Settings.model_fields["temporal_update_timeout_s"].default


_deadlines = Deadlines()


def use_deadlines(settings: Settings) -> None:
    """The deadlines of this process's calls (the API sets them from its settings at start,
    as it sets the read model's keys: one configuration per process)."""
    global _deadlines
    _deadlines = Deadlines(settings.temporal_call_timeout_s, settings.temporal_update_timeout_s)


def deadlines() -> Deadlines:
    return _deadlines


@asynccontextmanager
async def deadline(seconds: float) -> AsyncIterator[None]:
    """Bound a Temporal call as a whole: `TemporalUnavailable` once `seconds` have passed or
    when Temporal cannot be reached. The SDK's own `rpc_timeout` bounds one attempt only (it
    retries an unreachable server for about ten seconds, and an update's long poll again and
    again), hence the outer `asyncio.timeout`. Other RPC errors (NOT_FOUND, ...) pass."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except (TimeoutError, RPCTimeoutOrCancelledError) as err:
        raise TemporalUnavailable(f"no answer within {seconds:g} s") from err
    except RPCError as err:
        if err.status not in UNANSWERED:
            raise
        raise TemporalUnavailable(f"{err.status.name}: {err.message}") from err


async def connect(settings: Settings) -> Client:
    """Connect to Temporal with the sealed pydantic data converter (core/codec.py); calls
    are traced, and workers built on this client trace workflows and activities
    (`TracingInterceptor`), carrying the caller's trace context into the workflow."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        interceptors=[TracingInterceptor()],
        tls=tls_config(settings),
        api_key=settings.temporal_api_key or None,
    )


def tls_config(settings: Settings) -> TLSConfig | bool:
    """TLS to Temporal's frontend from the TEMPORAL_TLS_* settings: a private CA, a client
    certificate and key for mutual TLS, the name expected in the server's certificate.
    An API key implies TLS (the key is a bearer credential); no setting: plain gRPC, as
    the embedded default's dev server on 127.0.0.1 speaks."""
    if settings.temporal_tls_cert or settings.temporal_tls_key:
        if not (settings.temporal_tls_cert and settings.temporal_tls_key):
            raise ValueError(
                "TEMPORAL_TLS_CERT 与 TEMPORAL_TLS_KEY 须同时设置 / "
                "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together"
            )
    files = (settings.temporal_tls_ca, settings.temporal_tls_cert, settings.temporal_tls_key)
    wanted = settings.temporal_tls or settings.temporal_api_key or settings.temporal_tls_server_name
    if not (wanted or any(files)):
        return False
    ca, cert, key = (path.read_bytes() if path else None for path in files)
    return TLSConfig(
        server_root_ca_cert=ca,
        client_cert=cert,
        client_private_key=key,
        domain=settings.temporal_tls_server_name or None,
    )
