"""Benchmark (not a test): the reform dashboard's queries at 1,000,000 cases.

    .venv/bin/python -m bench.dashboard [--cases N] [--repeat R] [--no-postgres]

Seeds N synthetic cases (default 1,000,000; `store/seed.py`, generated once and written to
each database) into a temporary SQLite file and into a fresh PostgreSQL schema (on
$ONEGO_BENCH_POSTGRES_URL, default the test database; skipped when unreachable), runs
ANALYZE, then times every dashboard query over two periods (the last 90 days and the whole
two years), each:

- cold: its first run on a new engine (a new connection: SQLite's page cache and
  PostgreSQL's plan cache empty; the operating system's file cache is not dropped);
- warm: the median of R more runs;
- rows: the same figures computed from the case tables without the rollups (reporting/dashboard
  `source="rows"`), once: the baseline, and the ratio rows / warm. The queries that compute
  critical paths in Python from every item (departments, drivers, the whole dashboard) are
  run that way over the 90 days only: over two years at 1M cases they take many minutes.

Then GET /api/v1/metrics/scenarios (all time, the month rows of the rollups) the same way,
its baseline the same figures from a GROUP BY over the case table (what it ran before).

With `--stages K` the cases are added in K equal steps and the queries timed after each, to
show how the timings grow with the history (the later steps insert into indexed tables).

It checks that both ways give the same figures, prints the seeding times, and removes both
databases. `make bench-dashboard` runs it.
"""

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from catalog.loader import Catalog, get_catalog
from reporting import dashboard as figures
from reporting.figures import Dashboard, ItemDriver
from reporting.period import Period
from reporting.queries import Source
from reporting.trace import case_trace
from routers.metrics import scenario_metrics
from routers.schemas import ScenarioMetrics
from simulation.seed import seed_cases
from store.db import create_schema, make_engine
from store.models import Role, User

POSTGRES_URL = os.environ.get(
    "ONEGO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
UNTIL = datetime(2026, 11, 1, 4, tzinfo=UTC)  # fixed: the same cases on every run
DAYS = 730


def progress(message: str) -> None:
    print(f"[dashboard bench] {message}", file=sys.stderr, flush=True)


def postgres_schema() -> tuple[str, Engine] | None:
    """A fresh schema on the PostgreSQL server, or None when it is not reachable."""
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            schema = f"onego_bench_{uuid.uuid4().hex[:10]}"
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "skip"
        progress(f"PostgreSQL not reachable ({type(exc).__name__}): SQLite only")
        admin.dispose()
        return None
    admin.dispose()
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, make_engine(url.render_as_string(hide_password=False), traced=False)


def drop_schema(schema: str) -> None:
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def analyze(engine: Engine) -> float:
    began = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - began


def queries(
    catalog: Catalog, period: Period, case_id: str, now: datetime
) -> dict[str, Callable[[Session, Source], Any]]:
    """name -> run(session, source): each of the dashboard's queries."""
    return {
        "scenarios": lambda s, src: figures.scenario_figures(s, period, None, catalog, src),
        "departments": lambda s, src: figures.department_figures(
            s, period, None, catalog, src, now
        ),
        "drivers": lambda s, src: figures.item_drivers(s, period, None, catalog, src),
        "dashboard (all)": lambda s, src: figures.dashboard(s, period, None, catalog, src, now),
        "one scenario": lambda s, src: figures.dashboard(s, period, "newborn", catalog, src, now),
        "slowest cases": lambda s, src: figures.slowest_cases(s, period, None, catalog),
        "case trace": lambda s, src: case_trace(s, case_id, catalog, now),
    }


ROLLUP_ONLY = ("scenarios", "departments", "drivers", "dashboard (all)", "one scenario")


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = run()
    return time.perf_counter() - began, result


def same(a: Any, b: Any) -> bool:
    """Figures equal up to float rounding (the rollups add in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))
    return a == b


def comparable(result: Any) -> Any:
    """A result as plain data, the drivers keyed by item (ties may order differently)."""
    if isinstance(result, Dashboard):
        data = result.model_dump(exclude={"drivers"})
        data["drivers"] = {d.item: d.model_dump() for d in result.drivers}
        return data
    if isinstance(result, list) and result and isinstance(result[0], ItemDriver):
        return {d.item: d.model_dump() for d in result}
    if isinstance(result, tuple):
        return [comparable(r) for r in result]
    if isinstance(result, list):
        return [comparable(r) for r in result]
    return result.model_dump() if hasattr(result, "model_dump") else result


def all_time_scenarios(session: Session, source: Source) -> list[ScenarioMetrics]:
    """GET /metrics/scenarios: the endpoint itself (rollups), or its figures from the case
    table."""
    if source == "rollups":
        manager = User(id=0, username="bench", password_hash="", role=Role.manager)
        return scenario_metrics(manager, session)
    return [ScenarioMetrics(**t.model_dump()) for t in figures.scenario_totals(session, source)]


def time_query(
    name: str,
    label: str,
    query: str,
    url: str,
    run: Callable[[Session, Source], Any],
    args: argparse.Namespace,
    baseline: bool,
) -> str:
    """Time one query on a new engine (cold, then warm), and without the rollups when
    `baseline`; prints and returns the line."""
    engine = make_engine(url, traced=False)  # a new connection: cold
    with Session(engine) as session:
        cold, result = timed(lambda: run(session, "rollups"))
        warm = statistics.median(
            timed(lambda: run(session, "rollups"))[0] for _ in range(args.repeat)
        )
        line = (
            f"{name:10} {label:8} {query:18} cold {cold * 1000:8.1f} ms  warm {warm * 1000:8.1f} ms"
        )
        if baseline:
            rows, expected = timed(lambda: run(session, "rows"))
            agree = same(comparable(result), comparable(expected))
            line += (
                f"  | without rollups {rows * 1000:9.1f} ms  x{rows / warm:,.0f}"
                f"  {'same figures' if agree else 'FIGURES DIFFER'}"
            )
            if not agree:
                progress(f"{name} {label} {query}: the two ways differ")
    engine.dispose()
    print(line, flush=True)
    return line


def bench_backend(
    name: str,
    url: str,
    catalog: Catalog,
    args: argparse.Namespace,
    case_id: str,
    baseline: bool,
) -> list[str]:
    """Time every query on one database; returns the printed lines."""
    lines = []
    now = UNTIL
    periods = {
        "90 days": Period.last(90, UNTIL.date()),
        f"{DAYS} days": Period.last(DAYS + 1, UNTIL.date()),
    }
    for label, period in periods.items():
        for query, run in queries(catalog, period, case_id, now).items():
            heavy = query != "scenarios" and label != "90 days"
            rows = query in ROLLUP_ONLY and baseline and not heavy
            lines.append(time_query(name, label, query, url, run, args, rows))
    lines.append(
        time_query(name, "all time", "/metrics/scenarios", url, all_time_scenarios, args, baseline)
    )
    return lines


def main(args: argparse.Namespace) -> None:
    catalog = get_catalog()
    with tempfile.TemporaryDirectory(prefix="onego-dashboard-bench-") as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'onego.db'}"
        engines: dict[str, Engine] = {"sqlite": make_engine(sqlite_url, traced=False)}
        urls = {"sqlite": sqlite_url}
        pg = None if args.no_postgres else postgres_schema()
        if pg is not None:
            engines["postgresql"] = pg[1]
            urls["postgresql"] = pg[1].url.render_as_string(hide_password=False)
        try:
            for engine in engines.values():
                create_schema(engine)
            step = args.cases // args.stages
            for stage in range(1, args.stages + 1):
                count = step if stage < args.stages else args.cases - step * (args.stages - 1)
                total = step * (stage - 1) + count
                progress(f"seeding {count:,} cases into {', '.join(engines)} ({total:,} in all)")
                done = [0]

                def report(n: int, done: list[int] = done) -> None:
                    done[0] += n
                    if done[0] % 100_000 < n:
                        progress(f"  {done[0]:,} cases")

                seeded = seed_cases(
                    list(engines.values()),
                    catalog,
                    count,
                    seed=args.seed + stage - 1,
                    until=UNTIL,
                    days=DAYS,
                    batch=20_000,
                    progress=report,
                )
                analyzed = {name: analyze(engine) for name, engine in engines.items()}
                for engine in engines.values():
                    engine.dispose()
                with engines["sqlite"].connect() as connection:  # a case with a supplement
                    case_id = connection.execute(
                        text("SELECT case_id FROM case_event ORDER BY case_id LIMIT 1")
                    ).scalar_one()
                print(
                    f"dashboard at {total:,} cases (this step: {seeded.items:,} items, "
                    f"{seeded.events:,} supplement events, {seeded.rollup_rows:,} day rollup "
                    f"rows); {os.cpu_count()} CPUs",
                    flush=True,
                )
                print(
                    f"seeding {count:,}: waiting for generated cases "
                    f"{seeded.generate_seconds:.0f} s, writing "
                    + ", ".join(f"{n} {s:.0f} s" for n, s in seeded.insert_seconds.items())
                    + "; ANALYZE "
                    + ", ".join(f"{n} {s:.0f} s" for n, s in analyzed.items())
                    + f"; total {seeded.seconds:.0f} s",
                    flush=True,
                )
                last = stage == args.stages
                for name, url in urls.items():
                    bench_backend(name, url, catalog, args, case_id, last and not args.no_baseline)
        finally:
            for engine in engines.values():
                engine.dispose()
            if pg is not None:
                drop_schema(pg[0])


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dashboard",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases (1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per query (5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--stages", type=int, default=1, help="add the cases in K steps (1)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the queries without rollups"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    # a stopped run still removes its databases
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main(parse())
