"""`onego retention run`: erase the personal data of cases closed longer than the retention
period (store/retention.py); the workflow worker runs the same once a day."""

import typer

from documents.records import Forgetting
from documents.vault import store_of
from runtime.settings import get_settings
from store.db import create_schema, make_engine
from store.retention import period_of, run_retention

app = typer.Typer(help="Retention of personal data.", no_args_is_help=True)


@app.command("run")
def run() -> None:
    """Erase the personal data of cases closed longer than RETENTION_YEARS (or
    RETENTION_DAYS); their figures and the audit trail stay. Running again changes nothing."""
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    create_schema(engine)
    report = run_retention(engine, period_of(settings), documents=Forgetting(store_of(settings)))
    engine.dispose()
    typer.echo(
        f"已删除 {report.erased} 件办件的个人信息（{report.cutoff:%Y-%m-%d} 前办结）/ "
        f"erased the personal data of {report.erased} cases closed before "
        f"{report.cutoff:%Y-%m-%d}"
    )
