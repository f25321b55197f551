"""The embedded span store: an OpenTelemetry SpanExporter that writes finished spans to the
`span` table of the read model, so traces can be read with nothing else running.

Spans reach it already scrubbed of personal data (core/telemetry.py wraps every exporter).
Its engine is not traced: writing spans must not make spans.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from sqlalchemy import delete, insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from store.models import SPAN, Span

log = logging.getLogger("onego.telemetry")
# How often the store deletes the spans older than its retention (from the exporting thread).
PRUNE_EVERY = timedelta(hours=1)


def _time(ns: int | None) -> datetime:
    ns = ns or 0
    return datetime.fromtimestamp(ns // 10**9, UTC).replace(microsecond=ns // 1000 % 10**6)


def _value(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple | list):
        return [_value(v) for v in value]
    return value


def _attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: _value(value) for key, value in (attributes or {}).items()}


def span_row(span: ReadableSpan) -> dict[str, Any]:
    """The column values of one finished span's row in the `span` table."""
    assert span.context is not None
    start, end = span.start_time or 0, span.end_time or span.start_time or 0
    return {
        "trace_id": f"{span.context.trace_id:032x}",
        "span_id": f"{span.context.span_id:016x}",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "name": span.name[:255],
        "kind": span.kind.name.lower(),
        "service": str(span.resource.attributes.get("service.name", ""))[:64],
        "start": _time(start),
        "end": _time(end),
        "duration_ms": (end - start) / 1e6,
        "status": span.status.status_code.name.lower(),
        "status_message": span.status.description,
        "attributes": _attributes(span.attributes),
        "events": [
            {"name": e.name, "at": _time(e.timestamp).isoformat(), **_attributes(e.attributes)}
            for e in span.events
        ],
        "links": [
            {
                "trace_id": f"{link.context.trace_id:032x}",
                "span_id": f"{link.context.span_id:016x}",
                **_attributes(link.attributes),
            }
            for link in span.links
        ],
    }


class SpanStoreExporter(SpanExporter):
    """Writes each batch of finished spans in one transaction to the `span` table, and
    deletes spans that started more than `retention_days` ago (0: keeps them all)."""

    def __init__(
        self,
        url: str,
        own: bool = False,
        retention_days: int = 30,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._url = ""
        self._engine: Engine | None = None
        self._retention = timedelta(days=retention_days)
        self._clock = clock
        self._pruned_at: datetime | None = None
        self.bind(url, own)

    @property
    def url(self) -> str:
        return self._url

    def bind(self, url: str, own: bool = False) -> None:
        """Write to the database at `url` from now on (a process has one; tests switch): the
        read model, whose migrations make the table, or, `own`, a database of the spans alone
        (settings.resolved_span_store_url), which gets just the table."""
        if url == self._url:
            return
        from store.db import create_schema, create_tables, make_engine

        engine = make_engine(url, traced=False)
        if own:
            create_tables(engine, SPAN)
        else:
            create_schema(engine)
        old, self._engine, self._url = self._engine, engine, url
        if old is not None:
            old.dispose()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        engine = self._engine
        if engine is None:
            return SpanExportResult.FAILURE
        if not spans:
            return SpanExportResult.SUCCESS
        try:
            # one executemany per batch: ORM objects and their unit of work cost several times
            # more for each of the many spans (there is a span per SQL statement)
            with engine.begin() as connection:
                connection.execute(insert(Span), [span_row(s) for s in spans])
                self._prune(connection)
        except Exception as exc:  # the batch is lost; say so without its content
            log.warning("span store: %d spans not written (%s)", len(spans), type(exc).__name__)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _prune(self, connection: Connection) -> None:
        now = self._clock()
        if not self._retention or (self._pruned_at and now - self._pruned_at < PRUNE_EVERY):
            return
        self._pruned_at = now
        cutoff = now - self._retention
        deleted = connection.execute(delete(Span).where(col(Span.start) < cutoff))
        if deleted.rowcount:
            log.info(
                "span store: deleted %d spans older than %s", deleted.rowcount, self._retention
            )

    def shutdown(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
