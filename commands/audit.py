"""`onego audit verify|export`: check the audit trail's SM3 chain, export it as JSON lines."""

import getpass
import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, TextIO

import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from runtime.settings import get_settings
from store.audit import event_dict, record_audit, verify_chain
from store.db import create_schema, make_engine, session_scope
from store.models import AuditEvent

app = typer.Typer(help="The audit trail: verify its chain, export it.", no_args_is_help=True)


def _engine() -> Engine:
    engine = make_engine(get_settings().resolved_database_url)
    create_schema(engine)
    return engine


@app.command("verify")
def verify(
    start_at: Annotated[
        int, typer.Option(min=1, help="First row to check: the first kept one after a pruning")
    ] = 1,
) -> None:
    """Walk the chain from its first row; name the first broken row (exit status 1)."""
    with Session(_engine()) as session:
        report = verify_chain(session, start_at)
    if not report.intact:
        typer.echo(
            f"审计链断裂 / audit chain BROKEN at seq {report.broken_at}: {report.problem} "
            f"({report.rows} rows intact before it)",
            err=False,
        )
        raise typer.Exit(1)
    typer.echo(f"审计链完整 / audit chain intact: {report.rows} rows, head {report.head}")
    if report.first_at is not None:
        keep = get_settings().audit_keep_days
        typer.echo(f"first row {report.first_at:%Y-%m-%d} UTC; AUDIT_KEEP_DAYS {keep}")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def write_lines(session: Session, start: datetime, end: datetime, out: TextIO) -> int:
    """The rows with start <= at < end, one JSON object a line, in chain order."""
    count, after = 0, 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.seq > after, AuditEvent.at >= start, AuditEvent.at < end)
            .order_by(col(AuditEvent.seq))
            .limit(1000)
        ).all()
        if not rows:
            return count
        for row in rows:
            out.write(json.dumps(event_dict(row), ensure_ascii=False, sort_keys=True) + "\n")
        count += len(rows)
        after = rows[-1].seq
        session.expunge_all()


@app.command("export")
def export(
    from_: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day")],
    to: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day (UTC)")],
    out: Annotated[Path | None, typer.Option(help="File to write; standard output if none")] = None,
) -> None:
    """Write the rows of the days from --from to --to (UTC, both included) as JSON lines.
    The export itself is recorded in the trail (audit.export)."""
    start, end = _start_of(from_.date()), _start_of(to.date()) + timedelta(days=1)
    engine = _engine()
    with Session(engine) as session:
        if out is None:
            count = write_lines(session, start, end, sys.stdout)
        else:
            with out.open("w", encoding="utf-8") as stream:
                count = write_lines(session, start, end, stream)
            out.chmod(0o600)
    with session_scope(engine) as session:
        record_audit(
            session,
            action="audit.export",
            actor_name=f"cli:{getpass.getuser()}",
            object_type="audit",
            object_id=f"{from_.date()}..{to.date()}",
            client="cli",
            detail=f"{count} rows",
        )
    typer.echo(f"{count} rows", err=True)
