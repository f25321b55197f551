"""The `onego` command: run the embedded platform, manage users, lint the catalog, seed
synthetic cases, simulate cases on the time-skipping server."""

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from catalog.calendar import CHINA_TZ
from catalog.loader import Catalog, CatalogError, get_catalog, load_catalog
from catalog.report import reduction_markdown
from commands.audit import app as audit_app
from commands.department import app as department_app
from commands.keys import app as keys_app
from commands.retention import app as retention_app
from commands.users import app as users_app
from commands.users import prepare_demo_users
from runtime.filemodes import PRIVATE_UMASK, private_folder, tighten
from runtime.settings import Settings, get_settings
from runtime.shutdown import stop_on_sigterm
from runtime.supervisor import Component, StartFailed, Supervisor, port_ready, temporal_ready
from security.keyring import keyring_of
from store.db import create_schema, make_engine
from store.users import DEMO_PASSWORD, DEMO_USERS
from workflows.search_attributes import dev_server_args

app = typer.Typer(help="onego: 一件事一次办 — one thing, one go.", no_args_is_help=True)
catalog_app = typer.Typer(help="Lint the catalog, report reductions.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(catalog_app, name="catalog")
app.add_typer(audit_app, name="audit")
app.add_typer(department_app, name="department")
app.add_typer(keys_app, name="keys")
app.add_typer(retention_app, name="retention")
console = Console()
BIN = Path(sys.executable).parent


def _engine():  # type: ignore[no-untyped-def]
    engine = make_engine(get_settings().resolved_database_url)
    create_schema(engine)
    return engine


@catalog_app.command("lint")
def catalog_lint(data_dir: Path | None = None) -> None:
    """Check every catalog entry; list each problem with file, entry and what is wrong."""
    try:
        catalog = load_catalog(data_dir) if data_dir else load_catalog()
    except CatalogError as exc:
        for problem in exc.problems:
            console.print(f"[red]✗[/] {problem}")
        console.print(f"{len(exc.problems)} problem(s)")
        raise typer.Exit(1) from None
    console.print(
        f"[green]✓[/] {len(catalog.scenarios)} scenario versions, {len(catalog.items)} items, "
        f"{len(catalog.fields)} fields, {len(catalog.materials)} materials"
    )
    _calendar_warning(catalog)


def _calendar_warning(catalog: Catalog) -> None:
    """Say so when deadlines may soon run into a year the working-day calendar lacks."""
    missing = catalog.calendar.uncovered_years(datetime.now(CHINA_TZ).date())
    if missing:
        years = ", ".join(map(str, missing))
        console.print(
            f"[bold yellow]⚠ 工作日历缺少 {years} 年的节假日安排：期限跨入该年时只扣除周末。"
            f"请按国务院办公厅通知补入 calendar.yaml / the working-day calendar lacks {years}: "
            "deadlines running into it count weekends only; add the State Council's holiday "
            "notice to calendar.yaml (docs/catalog.md, Next year's calendar)[/]"
        )


@catalog_app.command("report")
def catalog_report(data_dir: Path | None = None) -> None:
    """Print the reduction table (Markdown) of every scenario; docs/reductions.md is its output."""
    try:
        catalog = load_catalog(data_dir) if data_dir else load_catalog()
    except CatalogError as exc:
        errors = Console(stderr=True)
        for problem in exc.problems:
            errors.print(f"[red]✗[/] {problem}")
        raise typer.Exit(1) from None
    typer.echo(reduction_markdown(catalog), nl=False)


@app.command("rebuild-rollups")
def rebuild_rollups_command() -> None:
    """Recompute the rollups (dashboard, /metrics) from the case tables (after an upgrade
    that adds one to a database with cases, or to check them); see docs/dashboard.md."""
    from reporting.rollups import rebuild
    from store.db import session_scope

    catalog = load_catalog()
    started = time.perf_counter()
    with session_scope(_engine()) as session:
        counted = rebuild(session, catalog)
    console.print(f"{counted} cases counted in {time.perf_counter() - started:.1f}s")


@app.command("seed-cases")
def seed_cases_command(
    count: Annotated[int, typer.Option(help="How many synthetic cases to add")] = 1000,
    scenario: Annotated[
        list[str] | None, typer.Option(help="Only these scenarios (repeat the option)")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same cases")] = 1,
    until: Annotated[
        datetime | None, typer.Option(help="Submissions end here (UTC; default now)")
    ] = None,
    days: Annotated[int, typer.Option(help="Submissions spread over this many days")] = 730,
    tag: Annotated[
        str | None, typer.Option(help="Case ids are syn-<tag>-N (default s<seed>)")
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Delete every synthetic case first")
    ] = False,
) -> None:
    """Add synthetic cases to the read model for the dashboard (applicant `synthetic`, ids
    syn-...); fast batched inserts, the dashboard's rollups updated (docs/dashboard.md)."""
    from rich.progress import Progress

    from simulation.seed import clear_synthetic, seed_cases

    catalog = load_catalog()
    engine = _engine()
    if clear:
        removed = clear_synthetic(engine, catalog)
        console.print(f"removed {removed} synthetic cases / 已删除合成办件")
    if count <= 0:
        return
    moment = (until.replace(tzinfo=UTC) if until and until.tzinfo is None else until) or None
    with Progress(console=console) as progress:
        task = progress.add_task("seeding / 生成合成办件", total=count)
        try:
            result = seed_cases(
                engine,
                catalog,
                count,
                seed=seed,
                until=moment,
                days=days,
                scenarios=scenario or None,
                tag=tag,
                progress=lambda n: progress.advance(task, n),
            )
        except ValueError as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(2) from None
    console.print(
        f"{result.cases} cases, {result.items} items, {result.events} events, "
        f"{result.rollup_rows} rollup rows in {result.seconds:.1f}s "
        f"({result.cases / result.seconds:,.0f} cases/s)"
    )


@app.command()
def simulate(
    scenario: Annotated[str, typer.Option(help="Scenario code")] = "newborn",
    cases: Annotated[int, typer.Option(help="How many cases to run")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same draws")] = 1,
    config: Annotated[
        Path | None, typer.Option(help="YAML file changing the defaults (docs/simulation.md)")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the HTML report")] = Path("report.html"),
    keep_db: Annotated[
        Path | None, typer.Option(help="Keep the run's read model (SQLite) as this new file")
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            help="Workflow worker processes per shard (default: the cores over the shards)"
        ),
    ] = None,
    shards: Annotated[
        int | None,
        typer.Option(
            help="Shards: processes with a test server each (default: one per core, at most "
            "4, and one per 1000 cases beyond, at most 16)"
        ),
    ] = None,
    start: Annotated[
        datetime | None,
        typer.Option(
            help="The run's start in simulated time, with its zone (default: the next whole hour)",
            formats=["%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S%z"],
        ),
    ] = None,
) -> None:
    """Run simulated cases through the real workflows on Temporal's time-skipping server and
    write a report: bundled days against the one-by-one baseline (docs/simulation.md)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from catalog.calendar import CHINA_TZ
    from simulation.config import ConfigError
    from simulation.driver import Stuck
    from simulation.run import simulate as run_simulation

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        submitted = progress.add_task("submitted / 已提交", total=cases, detail="")
        ended = progress.add_task("ended / 已办结", total=cases, detail="")

        def on_step(step):  # type: ignore[no-untyped-def]
            day = step.now.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
            progress.update(submitted, completed=step.submitted, detail="")
            progress.update(ended, completed=step.ended, detail=f"simulated {day}")

        try:
            result = run_simulation(
                scenario, cases, seed, config, out, keep_db, on_step, processes, shards, start
            )
        except (ConfigError, ValueError, FileExistsError, FileNotFoundError) as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(2) from None
        except Stuck as exc:
            console.print(f"[red]the simulation is stuck: {exc}[/]")
            raise typer.Exit(1) from None
    f = result.figures

    def days(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    def percent(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    table = Table(title=f"{f.name.zh} / {f.name.en}: {f.cases} cases, seed {f.seed}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("completed / 已办结", f"{f.completed} of {f.cases}")
    table.add_row(
        "bundled median / p90 (working days)", f"{days(f.bundled.median)} / {days(f.bundled.p90)}"
    )
    table.add_row(
        "one by one median / p90 (simulated)",
        f"{days(f.one_by_one.median)} / {days(f.one_by_one.p90)}",
    )
    table.add_row("one by one (catalog)", days(f.catalog_baseline_days))
    if f.published:
        table.add_row("published (city)", f"{f.published.one_by_one:g} → {f.published.bundled:g}")
    table.add_row("time reduction (medians)", percent(f.time_reduction))
    table.add_row("material reduction", percent(f.material_reduction))
    table.add_row(
        "on time (reviewed items)", f"{percent(f.sla_compliance)} ({f.breached} breached)"
    )
    top = next((d for d in f.drivers if d.critical_days > 0), None)
    if top:
        table.add_row("drives the remaining days", f"{top.name.en} {percent(top.share_of_days)}")
    cpu = f.run.get("cpu")
    cpu_seconds = cpu.get("main", 0) + cpu.get("children", 0) if isinstance(cpu, dict) else 0
    table.add_row(
        "run time",
        f"{result.seconds:.0f} s ({result.shards} shards, "
        + (f"{result.processes} worker processes" if result.processes else "workers in the shards")
        + f"; CPU {cpu_seconds:.0f} s)",
    )
    table.add_row("cases per second", f"{result.cases_per_second:.2f}")
    console.print(table)
    console.print(f"report: {result.report}" + (f" · read model: {keep_db}" if keep_db else ""))


@app.command()
def run() -> None:
    """Start the embedded platform: Temporal dev server, worker and API; restart whichever
    dies (core/supervisor.py); Ctrl-C stops all."""
    stop_on_sigterm()
    settings = get_settings()
    # files this process and its children (dev server, worker, API) create: owner-only
    os.umask(PRIVATE_UMASK)
    private_folder(settings.data_dir)
    tighten(settings.data_dir)
    keyring_of(settings)  # the key file made once, here: the worker and the API start together
    host, _, port = settings.temporal_address.partition(":")
    prepare_demo_users(_engine(), settings)
    server = dev_server_command(settings)
    api = [sys.executable, "-m", "uvicorn", "--factory", "api:create_app"]
    api += ["--host", settings.api_host, "--port", str(settings.api_port)]
    supervisor = Supervisor(
        [
            Component(
                "Temporal dev server",
                server,
                temporal_ready(host, int(port)),
                hushed_when_stopping=('error="context canceled"',),
            ),
            Component("worker", [sys.executable, "-m", "worker"]),
            Component("API", api, port_ready(settings.api_host, settings.api_port)),
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        say=lambda event: console.print(event, markup=False, highlight=False, soft_wrap=True),
    )
    with supervisor.signals():
        try:
            if supervisor.start():
                _banner(settings, host)
                supervisor.watch()
        except StartFailed as failed:
            console.print(f"[red]启动失败 / could not start: {escape(str(failed))}[/]")
            raise typer.Exit(1) from None
        finally:
            console.print("stopping… / 正在停止…")
            supervisor.stop()


def dev_server_command(settings: Settings) -> list[str]:
    """`onego run`'s Temporal dev server: its SQLite file in the data directory, the case
    search attributes registered (workflows/search_attributes.py)."""
    host, _, port = settings.temporal_address.partition(":")
    return [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--db-filename",
        str(settings.data_dir / "temporal.db"),
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--ip",
        host,
        "--port",
        port,
        "--ui-port",
        str(settings.temporal_ui_port),
        "--ui-codec-endpoint",  # the UI decodes sealed payloads there (routers/codec.py)
        f"http://{settings.api_host}:{settings.api_port}/codec",
        "--log-level",
        "error",
        *dev_server_args(),
    ]


def _banner(settings: Settings, temporal_host: str) -> None:
    """Where everything is: the pages first (the product's main face), then the API, the
    Temporal Web UI and the data directory actually in use."""
    base = f"http://{settings.api_host}:{settings.api_port}"
    table = Table(title="onego 已启动 / is running", show_header=False)
    table.add_row("办事大厅 / applicants", f"{base}/  (一件事目录, 申报, 我的办件)")
    table.add_row("部门收件箱 / department inbox", f"{base}/inbox")
    table.add_row("改革成效 / manager dashboard", f"{base}/dashboard")
    table.add_row("审计 / audit trail", f"{base}/audit")
    table.add_row("API", f"{base}/api/v1/scenarios  ·  docs {base}/docs")
    table.add_row("Temporal Web UI", f"http://{temporal_host}:{settings.temporal_ui_port}")
    table.add_row("数据目录 / data directory", str(settings.data_dir.resolve()))
    if settings.demo_users:
        table.add_row("demo users", ", ".join(u[0] for u in DEMO_USERS))
        table.add_row("demo password", DEMO_PASSWORD)
    console.print(table)
    _calendar_warning(get_catalog(settings.catalog_dir))
    if settings.demo_users:
        console.print(
            "[bold yellow]演示账号的密码是公开的，仅供演示，切勿用于真实数据 / the demo users' "
            "password is public: for demos only, never with real data; DEMO_USERS=false "
            "turns them off (then `onego users disable NAME` the existing ones)[/]"
        )
    console.print(
        f"Ctrl-C 停止 / stops everything; state is kept in {settings.data_dir.resolve()}",
        markup=False,
        soft_wrap=True,  # the path whole on one line, whatever the terminal's width
    )


if __name__ == "__main__":
    app()
