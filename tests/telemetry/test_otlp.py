"""OTEL_EXPORTER=otlp: spans reach a collector over OTLP/HTTP, scrubbed like the store's."""

import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESIDENT_ID = "500103199803071229"


def test_spans_reach_an_otlp_collector_scrubbed() -> None:
    received: list[tuple[str, str, bytes]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}/v1/traces"
    # A process of its own: a process installs its tracer provider once.
    script = textwrap.dedent(
        f"""
        from opentelemetry import trace
        from observability import telemetry
        from runtime.settings import Settings

        telemetry.setup(Settings(otel_exporter="otlp", otel_endpoint="{endpoint}"), "test")
        span = trace.get_tracer("t").start_span("lookup {RESIDENT_ID}")
        span.set_attribute("http.url", "http://registry/household/{RESIDENT_ID}?q=1")
        span.end()
        assert telemetry.flush()
        """
    )
    try:
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)
    finally:
        server.shutdown()
    assert received, "the collector got the spans"
    path, content_type, body = received[0]
    assert path == "/v1/traces" and content_type == "application/x-protobuf"
    assert b"lookup [number]" in body and b"http://registry/household/[number]" in body
    assert RESIDENT_ID.encode() not in body and b"?q=1" not in body
