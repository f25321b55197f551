"""The embedded span store keeps spans for its retention and prunes at most once an hour."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from sqlalchemy import inspect
from sqlmodel import Session, select

from runtime.settings import Settings
from store.db import make_engine
from store.models import Span
from store.spans import SpanStoreExporter

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _ns(at: datetime) -> int:
    return int(at.timestamp() * 10**9)


class Store:
    """A span store on its own SQLite file, with a clock the test moves."""

    def __init__(self, path: Path, retention_days: int):
        self.now = NOW
        self.url = f"sqlite:///{path}"
        self.exporter = SpanStoreExporter(
            self.url, retention_days=retention_days, clock=lambda: self.now
        )
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = provider.get_tracer("test")

    def span(self, name: str, age: timedelta) -> None:
        start = self.now - age
        self.tracer.start_span(name, start_time=_ns(start)).end(end_time=_ns(start) + 10**6)

    def names(self) -> set[str]:
        with Session(make_engine(self.url)) as session:
            return set(session.exec(select(Span.name)))


def test_spans_older_than_the_retention_are_deleted_at_most_hourly(tmp_path: Path) -> None:
    store = Store(tmp_path / "spans.db", retention_days=30)
    store.span("old", timedelta(days=31))  # the first batch prunes, itself included
    store.span("recent", timedelta(days=29))
    assert store.names() == {"recent"}

    store.now += timedelta(minutes=30)
    store.span("old-2", timedelta(days=40))  # within the hour: no prune yet
    assert store.names() == {"recent", "old-2"}

    store.now += timedelta(minutes=31)
    store.span("new", timedelta(0))
    assert store.names() == {"recent", "new"}

    store.now += timedelta(days=2)  # "recent" is now 31 days and 61 minutes old
    store.span("newer", timedelta(0))
    assert store.names() == {"new", "newer"}


def test_a_retention_of_zero_keeps_every_span(tmp_path: Path) -> None:
    store = Store(tmp_path / "spans.db", retention_days=0)
    store.span("ancient", timedelta(days=3650))
    store.now += timedelta(days=1)
    store.span("new", timedelta(0))
    assert store.names() == {"ancient", "new"}


def test_a_span_store_of_its_own_holds_the_span_table_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'spans.db'}"
    exporter = SpanStoreExporter(url, own=True)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    provider.get_tracer("test").start_span("written").end()
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) == {"span"}
    with Session(engine) as session:
        assert list(session.exec(select(Span.name))) == ["written"]


def test_a_sqlite_read_model_keeps_its_spans_in_a_file_of_their_own(tmp_path: Path) -> None:
    """Spans written in the read model's SQLite file would hold its single writer, which
    submissions wait for (POST p99 240 ms against 46 ms, docs/measuring.md)."""
    beside = Settings(data_dir=tmp_path, database_url="")
    assert beside.resolved_span_store_url == f"sqlite:///{tmp_path / 'spans.db'}"
    postgres = Settings(database_url="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert postgres.resolved_span_store_url == postgres.resolved_database_url
    chosen = Settings(data_dir=tmp_path, otel_store_url="sqlite:////var/onego/spans.db")
    assert chosen.resolved_span_store_url == "sqlite:////var/onego/spans.db"


def test_processes_starting_together_each_open_a_new_span_store(tmp_path: Path) -> None:
    """`onego run` starts the API and the worker at once, and each opens the span store: both
    found the table missing and the second CREATE failed ("table span already exists"), so
    the worker died at its first start."""
    script = (
        "import sys; from store.spans import SpanStoreExporter; "
        "SpanStoreExporter(sys.argv[1], own=True)"
    )
    for attempt in range(4):  # a fresh store each time: the race is at its creation
        url = f"sqlite:///{tmp_path / f'spans-{attempt}.db'}"
        starts = [
            subprocess.Popen([sys.executable, "-c", script, url], cwd=ROOT, stderr=subprocess.PIPE)
            for _ in range(6)
        ]
        answers = [(p.communicate(timeout=60)[1], p.returncode) for p in starts]
        failed = [stderr.decode() for stderr, code in answers if code != 0]
        assert not failed, failed[0].splitlines()[-1]
