"""OpenTelemetry for onego: one tracer provider per process, the instrumentation of the whole
path, business spans of cases and items, and the scrubbing that keeps personal data out.

What is traced (docs/telemetry.md has the span names and attributes):
- API requests (FastAPI instrumentation), outgoing HTTP calls (httpx instrumentation);
- Temporal: client calls, workflows, activities and local activities (`TracingInterceptor`
  on the client and the workers), so a case's workflow joins the trace of the request that
  submitted it;
- department adapter calls (`department.perform` / `department.revoke`, adapters/resilience.py);
- SQL statements of every traced engine made by `store.db.make_engine` (instrumented there);
- business spans: one per case and one per item, emitted by the read-model writer when the
  case or item ends, with their real start and end (a four-day review is a four-day span).
  A case's spans share a trace id derived from the case id and have span ids derived from
  (case, item), so spans written by different processes at different times form one tree.

Every exporter is wrapped by `ScrubbingExporter`: client addresses, user agents, query strings
and concrete URL paths never leave the process, and anything shaped like a resident ID, bank
card, phone number or e-mail address is replaced. Spans themselves carry codes and case ids.
"""

import contextvars
import hashlib
import logging
import re
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

if TYPE_CHECKING:
    from fastapi import FastAPI
    from temporalio.client import Client
    from temporalio.worker import Interceptor

    from runtime.settings import Settings
    from store.models import Case, CaseEvent, CaseItem
    from store.spans import SpanStoreExporter

log = logging.getLogger("onego.telemetry")

BUSINESS_SCOPE = "onego.business"
# Requests that would only add noise: probes, scrapes and static files.
EXCLUDED_URLS = "/healthz$,/metrics$,/static/"

# -- personal data ---------------------------------------------------------------------------
# Attributes that identify a person's device or connection: never exported.
DROPPED_ATTRIBUTES = frozenset(
    {
        "client.address",
        "client.port",
        "http.client_ip",
        "http.user_agent",
        "user_agent.original",
        "net.peer.ip",
        "net.peer.port",
        "net.sock.peer.addr",
        "net.sock.peer.port",
        "network.peer.address",
        "network.peer.port",
        "url.query",
        "enduser.id",
    }
)
DROPPED_PREFIXES = ("http.request.header.", "http.response.header.")
URL_ATTRIBUTES = ("http.url", "url.full", "http.target", "url.path")
# Whole passages that may hold personal data, whatever its shape.
REDACTED_PASSAGES = [
    # pydantic's errors quote the offending input; SQLAlchemy's may list the parameters
    (re.compile(r"input_value=(?:'[^']*'|\"[^\"]*\"|[^,)\]\s]*)"), "input_value=[redacted]"),
    (re.compile(r"\[parameters: [^\]]*\]"), "[parameters: redacted]"),
    # Temporal's DEBUG dumps of activity completions (and activations) hold payloads
    (re.compile(r'\bdata: "(?:[^"\\]|\\.)*"'), "data: [payload not logged]"),
]
# A UUID (a case's id, a workflow's, a run's) is the platform's own random identifier, never
# personal data; one whose last group happens to be all digits would look like a number below.
UUID = re.compile(
    r"(?<![0-9A-Za-z])([0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})(?![0-9A-Za-z])"
)
# Values shaped like personal data, looked for outside UUIDs.
REDACTED_SHAPES = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # resident ID numbers (15 or 18 characters), bank cards, mobile numbers: 11+ digits
    (re.compile(r"(?<![0-9A-Za-z])\d{10,18}[0-9Xx](?![0-9A-Za-z])"), "[number]"),
    (re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]\d{4}[ -]\d{4}(?!\d)"), "[phone]"),
    (re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"), "[phone]"),
]


def redact(text: str) -> str:
    """`text` with anything shaped like personal data replaced (UUIDs kept whole)."""
    for pattern, replacement in REDACTED_PASSAGES:
        text = pattern.sub(replacement, text)
    parts = UUID.split(text)  # text, UUID, text, ...: the UUIDs at the odd places
    for index in range(0, len(parts), 2):
        for pattern, replacement in REDACTED_SHAPES:
            parts[index] = pattern.sub(replacement, parts[index])
    return "".join(parts)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, tuple | list):
        return tuple(_redact_value(v) for v in value)
    return value


def _url(key: str, value: Any, route: str | None) -> Any:
    if not isinstance(value, str):
        return value
    if route is not None:  # the route template instead of the concrete path
        if key in ("http.target", "url.path"):
            return route
        parts = urlsplit(value)
        return f"{parts.scheme}://{parts.netloc}{route}" if parts.scheme else route
    return value.split("?", 1)[0].split("#", 1)[0]


def scrub_attributes(
    attributes: Mapping[str, Any] | None, route: str | None = None
) -> dict[str, Any]:
    """Attributes without connection details, query strings or personal-data-shaped values."""
    clean: dict[str, Any] = {}
    for key, value in (attributes or {}).items():
        if key in DROPPED_ATTRIBUTES or key.startswith(DROPPED_PREFIXES):
            continue
        if key in URL_ATTRIBUTES:
            value = _url(key, value, route)
        clean[key] = _redact_value(value)
    return clean


def scrub_span(span: ReadableSpan) -> ReadableSpan:
    """A copy of `span` fit to leave the process."""
    attributes = dict(span.attributes or {})
    name = span.name
    database = attributes.get("db.name")
    if isinstance(database, str) and "/" in database:  # a SQLite file: its name, not its path
        base = attributes["db.name"] = database.rsplit("/", 1)[-1]
        name = name.replace(database, base)
        if isinstance(attributes.get("db.operation"), str):
            attributes["db.operation"] = str(attributes["db.operation"]).replace(database, base)
    route = attributes.get("http.route") if span.kind is SpanKind.SERVER else None
    status = span.status
    if status.description:
        status = Status(status.status_code, redact(status.description))
    return ReadableSpan(
        name=redact(name),
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=scrub_attributes(attributes, route if isinstance(route, str) else None),
        events=[
            Event(e.name, scrub_attributes(e.attributes), timestamp=e.timestamp)
            for e in span.events
        ],
        links=[Link(link.context, scrub_attributes(link.attributes)) for link in span.links],
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class RedactingFilter(logging.Filter):
    """Rewrites a log record's message with `redact` (for loggers that print URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


# Loggers of other libraries that print request URLs (whose paths may hold a registry key,
# a resident ID) or Temporal payloads (outputs such as a newborn's resident ID number).
REDACTED_LOGGERS = (
    "httpx",
    "uvicorn.access",
    "temporalio.worker._activity",
    "temporalio.worker._workflow",
)


def redact_logs() -> None:
    """Install `RedactingFilter` on the loggers that print URLs or payloads (idempotent)."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


class ScrubbingExporter(SpanExporter):
    """Scrubs every span (`scrub_span`) before the wrapped exporter sees it."""

    def __init__(self, inner: SpanExporter):
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([scrub_span(s) for s in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


# -- deterministic ids of business spans -----------------------------------------------------
_FORCED_IDS: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "onego_forced_span_ids", default=None
)


class CaseIdGenerator(RandomIdGenerator):
    """Random ids, except for the business spans, whose ids follow from the case and item."""

    def generate_span_id(self) -> int:
        forced = _FORCED_IDS.get()
        return forced[1] if forced else super().generate_span_id()

    def generate_trace_id(self) -> int:
        forced = _FORCED_IDS.get()
        return forced[0] if forced else super().generate_trace_id()


def _digest(text: str, size: int) -> int:
    value = int.from_bytes(hashlib.sha256(text.encode()).digest()[:size], "big")
    return value or 1  # zero is the invalid id


def case_trace_id(case_id: str) -> int:
    """The trace id of a case's business spans: the case's UUID as a 128-bit integer."""
    try:
        value = uuid.UUID(case_id).int
    except ValueError:
        value = _digest(f"trace/{case_id}", 16)
    return value or 1


def case_trace_hex(case_id: str) -> str:
    """The case's trace id as stored in the span table and shown by trace viewers."""
    return f"{case_trace_id(case_id):032x}"


def case_span_id(case_id: str) -> int:
    return _digest(f"case/{case_id}", 8)


def item_span_id(case_id: str, item: str) -> int:
    return _digest(f"item/{case_id}/{item}", 8)


# -- process setup -----------------------------------------------------------------------------
_lock = threading.Lock()
_provider: TracerProvider | None = None
_store: "SpanStoreExporter | None" = None


def setup(settings: "Settings", process: str = "onego") -> TracerProvider | None:
    """Install this process's tracer provider (once) with the configured exporter.

    Called by the API and the worker at start; a later call in the same process (tests
    building several apps) only points the span store at the new settings' database.
    """
    global _provider, _store
    redact_logs()
    with _lock:
        if _provider is not None:
            if _store is not None and settings.otel_exporter == "store":
                _provider.force_flush()
                _store.bind(*_span_store_of(settings))
            return _provider
        if settings.otel_exporter == "none":
            return None
        exporter: SpanExporter
        if settings.otel_exporter == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=settings.otel_endpoint or None)
        else:
            from store.spans import SpanStoreExporter

            exporter = _store = SpanStoreExporter(
                *_span_store_of(settings), retention_days=settings.otel_store_days
            )
        provider = TracerProvider(
            resource=Resource.create(
                {"service.name": settings.otel_service_name, "onego.process": process}
            ),
            id_generator=CaseIdGenerator(),
        )
        provider.add_span_processor(
            BatchSpanProcessor(
                ScrubbingExporter(exporter),
                max_queue_size=32768,
                max_export_batch_size=2048,
                schedule_delay_millis=2000,
            )
        )
        trace.set_tracer_provider(provider)
        if trace.get_tracer_provider() is not provider:
            log.warning("a tracer provider was installed already; onego's spans go there")
        _provider = provider
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument()
        return provider


def _span_store_of(settings: "Settings") -> tuple[str, bool]:
    """The span store's URL, and whether it is a database of its own (not the read model)."""
    url = settings.resolved_span_store_url
    return url, url != settings.resolved_database_url


def flush(timeout_millis: int = 30000) -> bool:
    """Export every finished span now (tests, shutdown)."""
    provider = trace.get_tracer_provider()
    force_flush = getattr(provider, "force_flush", None)
    return bool(force_flush(timeout_millis)) if force_flush else True


def instrument_app(app: "FastAPI") -> None:
    """Trace the app's requests (server spans named by route; no receive/send sub-spans)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=EXCLUDED_URLS, exclude_spans=["receive", "send"]
    )


def _has_tracing(interceptors: Iterable[object]) -> bool:
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return any(isinstance(i, TracingInterceptor) for i in interceptors)


def tracing_interceptors(client: "Client") -> list["Interceptor"]:
    """The worker interceptors that trace workflows and activities, unless the client's
    interceptors (which workers inherit) trace them already."""
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [] if _has_tracing(client.config()["interceptors"]) else [TracingInterceptor()]


def traced_client(client: "Client") -> "Client":
    """`client`, or a client on the same connection that also traces its calls."""
    from temporalio.client import Client
    from temporalio.contrib.opentelemetry import TracingInterceptor

    config = client.config()
    if _has_tracing(config["interceptors"]):
        return client
    config["interceptors"] = [*config["interceptors"], TracingInterceptor()]
    return Client(**config)


# -- business spans ----------------------------------------------------------------------------
def _ns(at: datetime) -> int:
    return int(at.timestamp()) * 10**9 + at.microsecond * 1000


def _emit(
    name: str,
    ids: tuple[int, int],
    parent: int | None,
    start: datetime,
    end: datetime,
    attributes: dict[str, Any],
    events: Sequence[tuple[str, datetime]] = (),
    failed: bool = False,
) -> None:
    """One finished span with explicit ids and times, linked to the current span (the
    read-model write's, in the trace of the request that started the case)."""
    if parent is None:
        ctx = otel_context.Context()  # a root: no parent, whatever is current
    else:
        parent_context = trace.SpanContext(
            ids[0], parent, is_remote=True, trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED)
        )
        ctx = trace.set_span_in_context(trace.NonRecordingSpan(parent_context))
    current = trace.get_current_span().get_span_context()
    links = [Link(current)] if current.is_valid else []
    token = _FORCED_IDS.set(ids)
    try:
        span = trace.get_tracer(BUSINESS_SCOPE).start_span(
            name,
            context=ctx,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            links=links,
            start_time=_ns(start),
        )
    finally:
        _FORCED_IDS.reset(token)
    for event, at in events:
        span.add_event(event, timestamp=_ns(at))
    span.set_status(Status(StatusCode.ERROR if failed else StatusCode.OK))
    span.end(end_time=_ns(end))


def _case_attributes(case: "Case") -> dict[str, Any]:
    return {
        "onego.case_id": case.id,
        "onego.scenario": case.scenario,
        "onego.scenario_version": case.scenario_version,
    }


def emit_item_span(
    case: "Case", item: "CaseItem", promised_days: int | None, events: Iterable["CaseEvent"]
) -> bool:
    """The span of an item that ended, from when it became ready to its end; False when it
    never started (cancelled while it waited)."""
    if item.started_at is None or item.completed_at is None:
        return False
    attributes = {
        **_case_attributes(case),
        "onego.item": item.item,
        "onego.department": item.department,
        "onego.mode": item.mode,
        "onego.status": item.status.value,
        "onego.breached": item.breached,
        "onego.elapsed_days": item.elapsed_days or 0.0,
        "onego.department_days": item.department_days,
        "onego.applicant_days": item.applicant_days,
    }
    if promised_days is not None:
        attributes["onego.promised_days"] = promised_days
    if item.due_at is not None:
        attributes["onego.due_at"] = item.due_at.isoformat()
    if item.reason_code:
        attributes["onego.reason_code"] = item.reason_code
    _emit(
        f"item:{item.item}",
        (case_trace_id(case.id), item_span_id(case.id, item.item)),
        case_span_id(case.id),
        item.started_at,
        item.completed_at,
        attributes,
        [(e.kind.value, e.at) for e in events],
        failed=item.status.value == "failed",
    )
    return True


def emit_case_span(case: "Case", items: Sequence["CaseItem"]) -> bool:
    """The span of a case that ended, from submission to its end; its items' spans are its
    children (emitted as each item ended)."""
    if case.completed_at is None:
        return False
    attributes = {
        **_case_attributes(case),
        "onego.status": case.status.value,
        "onego.elapsed_days": case.actual_days or 0.0,
        "onego.baseline_days": case.baseline_days,
        "onego.applicant_days": case.applicant_days,
        "onego.department_days": case.department_days,
        "onego.breaches": case.breaches,
        "onego.breached": case.breaches > 0,
        "onego.items": len(items),
        "onego.items_done": sum(i.status.value == "done" for i in items),
        "onego.materials_baseline": case.materials_baseline,
        "onego.materials_provided": case.materials_provided,
    }
    due = [i.due_at for i in items if i.due_at is not None]
    if due:
        attributes["onego.due_at"] = max(due).isoformat()
    events = [("case_started", case.started_at)] if case.started_at else []
    _emit(
        f"case:{case.scenario}",
        (case_trace_id(case.id), case_span_id(case.id)),
        None,
        case.submitted_at,
        case.completed_at,
        attributes,
        events,
        failed=case.status.value == "failed",
    )
    return True
