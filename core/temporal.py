"""The Temporal client as every onego process creates it."""

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.service import TLSConfig

from core.codec import data_converter
from core.settings import Settings


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
