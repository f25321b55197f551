"""The pre-aggregated tables (store/models.py: CaseDay, CaseDaysBucket, ItemDay for the
dashboard, ItemDoneDay for /metrics), kept by the read-model writer and rebuildable from the
case tables.

A case's *contribution* is the set of rollup rows it adds to, with the amounts: nothing while
it is `submitted`; one CaseDay row once its workflow has started; when it has ended, its
items' ItemDay and ItemDoneDay rows too; when it completed, one CaseDaysBucket row.
`store.case_writes.record_case` takes the contribution before and after a transition and adds the
difference (`apply_transition`), in the same transaction as the transition's event: a
retried write finds its event and changes nothing, so the rollups count every case exactly
once.

`rebuild` recomputes every row from the case tables with the same functions; the tests check
that both give the same figures (docs/dashboard.md).
"""

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable
from sqlmodel import Session
from sqlmodel import select as select_rows

from catalog.calendar import CHINA_TZ, WorkCalendar
from catalog.loader import Catalog
from domain.statuses import CaseStatus, ItemStatus
from reporting.facts import CaseLike, ItemLike
from store.db import insert as insert_into
from store.db import once_per_dialect
from store.models import CASE, ITEM, Case, CaseDay, CaseDaysBucket, CaseItem, ItemDay, ItemDoneDay

CASE_DAY: Table = CaseDay.__table__  # type: ignore[attr-defined]
CASE_DAYS: Table = CaseDaysBucket.__table__  # type: ignore[attr-defined]
ITEM_DAY: Table = ItemDay.__table__  # type: ignore[attr-defined]
ITEM_DONE: Table = ItemDoneDay.__table__  # type: ignore[attr-defined]
ROLLUPS = (CASE_DAY, CASE_DAYS, ITEM_DAY, ITEM_DONE)
# A contribution's keys are day keys (day, scenario, ...): `expand` adds the grain, and the
# month row of every day row, when rows are written.
DAY, MONTH = 1, 2
COLUMNS: dict[str, tuple[str, ...]] = {
    t.name: tuple(c.name for c in t.primary_key.columns) for t in ROLLUPS
}
KEYS: dict[str, tuple[str, ...]] = {name: cols[1:] for name, cols in COLUMNS.items()}
OPEN = (CaseStatus.submitted, CaseStatus.running)
REVIEWED = "reviewed"
# The bounds (working days) of the Prometheus histograms: automatic items take minutes,
# reviews days, one-by-one paths months. ItemDoneDay is keyed by them: changing them needs
# `rebuild`.
DURATION_BUCKETS = (0.1, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 90.0)
NOT_DONE = -1  # ItemDoneDay's bucket of the items that did not end done

# (table name, key values) -> {column: amount}
Contribution = dict[tuple[str, tuple[Any, ...]], dict[str, float]]


def case_day(submitted_at: datetime) -> date:
    """The day a case belongs to: its submission day in China time."""
    return submitted_at.astimezone(CHINA_TZ).date()


def tenths(days: float) -> int:
    """The histogram bucket of an end-to-end time: working days rounded up to a tenth."""
    return max(0, math.ceil(round(days * 10, 6)))


# -- working-day arithmetic in O(1) ------------------------------------------------------


class WorkingClock:
    """The calendar's working-day arithmetic with a prefix count of working days, for the
    millions of items the seeder and `rebuild` handle. `between` equals
    `WorkCalendar.working_days_between` (same definition, no loop over the days); the `_ts`
    variants take and give POSIX timestamps."""

    EPOCH = date(2000, 1, 1)
    SPAN = 60_000  # days: 2000 to 2164
    OFFSET = int(CHINA_TZ.utcoffset(None).total_seconds())  # type: ignore[union-attr]

    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar
        self.epoch_day = (self.EPOCH - date(1970, 1, 1)).days
        self.dates = [self.EPOCH + timedelta(days=i) for i in range(self.SPAN)]
        self.working = [calendar.is_working_day(d) for d in self.dates]
        self._before = [0] * (self.SPAN + 1)  # working days before day i
        for i, working in enumerate(self.working):
            self._before[i + 1] = self._before[i] + working

    def index(self, ts: float) -> int:
        """The China day of a timestamp, counted from the epoch."""
        return int((ts + self.OFFSET) // 86400) - self.epoch_day

    def midnight(self, index: int) -> float:
        """The timestamp of a China day's start."""
        return (index + self.epoch_day) * 86400.0 - self.OFFSET

    def elapsed_ts(self, ts: float) -> float:
        """Working seconds from the epoch to `ts`."""
        local = ts + self.OFFSET
        day = int(local // 86400)
        index = day - self.epoch_day
        seconds = self._before[index] * 86400.0
        if self.working[index]:
            seconds += local - day * 86400
        return seconds

    def between_ts(self, start: float, end: float) -> float:
        if end <= start:
            return 0.0
        return (self.elapsed_ts(end) - self.elapsed_ts(start)) / 86400

    def add_ts(self, start: float, days: float) -> float:
        target = self.elapsed_ts(start) / 86400 + max(days, 0.0)
        whole = math.floor(target)
        index = bisect_left(self._before, whole + 1) - 1
        return self.midnight(index) + (target - whole) * 86400

    def between(self, start: datetime, end: datetime) -> float:
        """Working days from start to end (0 if end is not after start)."""
        return self.between_ts(start.timestamp(), end.timestamp())

    def add(self, start: datetime, days: float) -> datetime:
        """The instant `days` working days after `start` (a rest day's start if it lands on
        the end of a working day)."""
        return datetime.fromtimestamp(self.add_ts(start.timestamp(), days), UTC)


def clock_of(calendar: WorkCalendar) -> WorkingClock:
    """The clock of a calendar (built once per distinct set of holidays and make-up days)."""
    return _clock(calendar.holidays, calendar.workdays)


@lru_cache(maxsize=8)
def _clock(holidays: frozenset[date], workdays: frozenset[date]) -> WorkingClock:
    return WorkingClock(WorkCalendar(holidays=holidays, workdays=workdays))


# -- item timings and the critical path ---------------------------------------------------


@dataclass
class Timing:
    """When an item was ready to start, when it ended, and whether it is on the critical
    path (the chain of items whose ends decided the case's end)."""

    start: datetime
    end: datetime
    days: float  # working days from start to end
    critical: bool = False
    end_ts: float = 0.0


def item_timings(
    started: datetime,
    items: Sequence[ItemLike],
    requires: Mapping[str, Sequence[str]],
    clock: WorkingClock,
    completed: bool,
) -> dict[str, Timing]:
    """Timings of the items that ran (those with an end).

    An item is ready when its task opened (reviewed items), else when the last item it
    requires ended, else when the case started. For a completed case the critical path runs
    back from the item that ended last, through the required item that ended last.
    """
    # item code -> (the item, its end, that end as a timestamp)
    ended = {
        i.item: (i, i.completed_at, i.completed_at.timestamp()) for i in items if i.completed_at
    }
    timings: dict[str, Timing] = {}
    started_ts = started.timestamp()
    for code, (item, end, end_ts) in ended.items():
        if item.opened_at is not None:
            start, start_ts = item.opened_at, item.opened_at.timestamp()
        else:
            start, start_ts = started, started_ts
            for required in requires.get(code, ()):
                found = ended.get(required)
                if found is not None and found[2] > start_ts:
                    start, start_ts = found[1], found[2]
        if start_ts > end_ts:
            start, start_ts = end, end_ts
        timings[code] = Timing(start, end, clock.between_ts(start_ts, end_ts), end_ts=end_ts)
    if completed and timings:
        last: str | None = max(timings, key=lambda c: (timings[c].end_ts, c))
        while last is not None:
            timings[last].critical = True
            before = [r for r in requires.get(last, ()) if r in timings]
            last = max(before, key=lambda c: (timings[c].end_ts, c)) if before else None
    return timings


def requires_of(catalog: Catalog | None, scenario: str, version: int) -> dict[str, list[str]]:
    spec = catalog.spec(scenario, version) if catalog else None
    return {i.code: list(i.requires) for i in spec.items} if spec else {}


# -- contributions ---------------------------------------------------------------------


def contribution(
    case: CaseLike,
    items: Sequence[ItemLike] | None,
    requires: Mapping[str, Sequence[str]],
    clock: WorkingClock,
) -> Contribution:
    """The rollup rows `case` adds to in its present state (items are read only once the
    case has ended; pass None before)."""
    status = CaseStatus(case.status)
    if status is CaseStatus.submitted:
        return {}
    day = case_day(case.submitted_at)
    ended = status not in OPEN
    rows: Contribution = {
        ("rollup_case_day", (day, case.scenario, status.value)): {
            "cases": 1,
            "materials_baseline": case.materials_baseline,
            "materials_provided": case.materials_provided,
            "baseline_days": case.baseline_days,
            "actual_days": (case.actual_days or 0.0) if ended else 0.0,
            "applicant_days": case.applicant_days,
            "department_days": case.department_days,
            "breaches": case.breaches,
        }
    }
    if status is CaseStatus.completed and case.actual_days is not None:
        rows[("rollup_case_days", (day, case.scenario, tenths(case.actual_days)))] = {"cases": 1}
    if not ended or items is None:
        return rows
    rows.update(done_items(day, items))
    completed = status is CaseStatus.completed
    timings = item_timings(case.submitted_at, items, requires, clock, completed)
    for item in items:
        timing = timings.get(item.item)
        decided = item.mode == REVIEWED and item.decided_by is not None
        if timing is None and not decided:
            continue
        # each (case, item) is one row: an item appears once in a case
        row = rows[("rollup_item_day", (day, case.scenario, item.department, item.item))] = {
            "reviewed": int(decided),
            "breached": int(decided and bool(item.breached)),
        }
        if timing is not None:
            row["items"] = 1
            row["duration_days"] = timing.days
            row["department_days"] = item.department_days
            row["applicant_days"] = item.applicant_days
            if timing.critical:
                row["critical"] = 1
                row["critical_days"] = timing.days
                row["critical_applicant_days"] = item.applicant_days
    return rows


def done_items(day: date, items: Sequence[ItemLike]) -> Contribution:
    """The ItemDoneDay rows of an ended case's items."""
    rows: Contribution = {}
    for item in items:
        found = done_bucket(item.status, item.elapsed_days, item.breached)
        if found is not None:
            # each (case, item) is one row: an item appears once in a case
            key = (day, item.department, item.item, item.mode, found[0])
            rows[("rollup_item_done_day", key)] = found[1]
    return rows


def done_bucket(
    status: Any, elapsed_days: float | None, breached: bool | None
) -> tuple[int, dict[str, float]] | None:
    """An item's ItemDoneDay bucket and amounts: a done item (with its elapsed days) in the
    bucket of its days, a breached one that did not end done in `NOT_DONE`; None when it
    adds nothing."""
    days = elapsed_days if status == ItemStatus.done else None
    if days is None and not breached:
        return None
    bucket = NOT_DONE if days is None else bisect_left(DURATION_BUCKETS, days)
    return bucket, {
        "items": int(days is not None),
        "elapsed_days": days or 0.0,
        "breached": int(bool(breached)),
    }


def case_contribution(session: Session, case: Case, catalog: Catalog | None) -> Contribution:
    """The contribution of a stored case, its items read from the session when it ended."""
    items = None
    if CaseStatus(case.status) not in OPEN:
        items = session.exec(select_rows(CaseItem).where(CaseItem.case_id == case.id)).all()
    requires = requires_of(catalog, case.scenario, case.scenario_version)
    calendar = catalog.calendar if catalog else WorkCalendar()
    return contribution(case, items, requires, clock_of(calendar))


def difference(before: Contribution, after: Contribution) -> Contribution:
    """after - before, row by row, dropping what is unchanged."""
    delta: Contribution = {}
    for key in before.keys() | after.keys():
        old, new = before.get(key, {}), after.get(key, {})
        change = {c: new.get(c, 0) - old.get(c, 0) for c in old.keys() | new.keys()}
        change = {c: v for c, v in change.items() if v}
        if change:
            delta[key] = change
    return delta


def expand(rows: Contribution) -> Contribution:
    """Day rows -> the same rows keyed (grain, day, ...) plus their months' rows."""
    out: Contribution = {}
    for (name, key), amounts in rows.items():
        day = key[0]
        out[(name, (DAY, *key))] = dict(amounts)
        month = (name, (MONTH, day.replace(day=1), *key[1:]))
        total = out.get(month)
        if total is None:
            out[month] = dict(amounts)
        else:
            for column, amount in amounts.items():
                total[column] = total.get(column, 0) + amount
    return out


def apply_transition(session: Session, before: Contribution, after: Contribution) -> None:
    """Add `after - before` to the rollup rows (upserts in the session's transaction)."""
    delta = difference(before, after)
    if delta:
        add_rows(session.connection(), delta)


def add_rows(connection: Connection, rows: Contribution) -> None:
    """Add amounts to rollup rows, creating missing ones: INSERT ... ON CONFLICT DO UPDATE
    SET column = column + excluded.column, so concurrent writers on PostgreSQL add up
    instead of overwriting each other. One statement per table, run for every row; the
    rows are day rows, written with their months'."""
    rows = expand(rows)
    for table in ROLLUPS:
        keys = COLUMNS[table.name]
        values = [
            {c.name: 0 for c in table.columns} | dict(zip(keys, key, strict=True)) | amounts
            for (name, key), amounts in sorted(rows.items(), key=lambda kv: str(kv[0][1]))
            if name == table.name
        ]
        if values:
            connection.execute(_UPSERTS[table.name](connection), values)


def _upsert(connection: Connection, table: Table) -> Executable:
    """INSERT ... ON CONFLICT (the row's key) DO UPDATE SET amount = amount + excluded."""
    keys = COLUMNS[table.name]
    insert = insert_into(connection, table)
    amounts = [c.name for c in table.columns if c.name not in keys]
    return insert.on_conflict_do_update(
        index_elements=list(keys), set_={c: table.c[c] + insert.excluded[c] for c in amounts}
    )


# each table's upsert, built once per dialect
_UPSERTS = {table.name: once_per_dialect(partial(_upsert, table=table)) for table in ROLLUPS}


# -- rebuilding from the case tables ----------------------------------------------------


def accumulate(total: Contribution, rows: Contribution) -> None:
    """Add `rows` into `total`."""
    for key, amounts in rows.items():
        row = total.get(key)
        if row is None:
            total[key] = dict(amounts)
            continue
        for column, amount in amounts.items():
            row[column] = row.get(column, 0) + amount


def rebuild(session: Session, catalog: Catalog, batch: int = 20_000) -> int:
    """Recompute every rollup row from the case tables (replacing what is there); returns
    the number of cases counted. Reads cases in id order, a batch at a time."""
    connection = session.connection()
    for table in ROLLUPS:
        connection.execute(delete(table))
    clock = clock_of(catalog.calendar)
    total: Contribution = {}
    counted, last = 0, ""
    while True:
        cases = session.exec(
            select_rows(Case).where(CASE.c.id > last).order_by(CASE.c.id).limit(batch)
        ).all()
        if not cases:
            break
        last = cases[-1].id
        ended = [c.id for c in cases if CaseStatus(c.status) not in OPEN]
        items: dict[str, list[CaseItem]] = defaultdict(list)
        if ended:
            for item in session.exec(select_rows(CaseItem).where(ITEM.c.case_id.in_(ended))):
                items[item.case_id].append(item)
        for case in cases:
            requires = requires_of(catalog, case.scenario, case.scenario_version)
            ran = items.get(case.id, []) if CaseStatus(case.status) not in OPEN else None
            rows = contribution(case, ran, requires, clock)
            counted += bool(rows)
            accumulate(total, rows)
        session.expunge_all()
    insert_rows(connection, total)
    return counted


def insert_rows(connection: Connection, rows: Contribution) -> None:
    """Insert rollup rows into empty tables in bulk (PostgreSQL COPY, SQLite executemany on
    the driver's cursor, in the connection's transaction): the seeder and `rebuild`. The rows
    are day rows, written with their months'."""
    rows = expand(rows)
    cursor = connection.connection.cursor()
    postgres = connection.dialect.name == "postgresql"
    for table in ROLLUPS:
        keys = COLUMNS[table.name]
        columns = [c.name for c in table.columns]
        amounts = [c for c in columns if c not in keys]
        values = [
            (
                *(k.isoformat() if isinstance(k, date) and not postgres else k for k in key),
                *(row.get(c, 0) for c in amounts),
            )
            for (name, key), row in rows.items()
            if name == table.name
        ]
        if not values:
            continue
        names = ", ".join([*keys, *amounts])
        if postgres:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for value in values:
                    copy.write_row(value)
        else:
            marks = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", values)


def read_rows(connection: Connection, grain: int = DAY) -> Contribution:
    """The rollup rows of one grain, keyed as contributions are (for comparing the maintained
    and rebuilt ones); amounts that are zero are left out."""
    rows: Contribution = {}
    for table in ROLLUPS:
        keys = KEYS[table.name]
        query = select(table).where(table.c.grain == grain)
        for row in connection.execute(query).mappings():
            key = tuple(row[k].value if hasattr(row[k], "value") else row[k] for k in keys)
            amounts = {c: row[c] for c in row.keys() if c not in COLUMNS[table.name] and row[c]}
            if amounts:
                rows[(table.name, key)] = amounts
    return rows
