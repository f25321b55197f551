"""Synthetic cases for the dashboard and its benchmark (`onego seed-cases`).

Writes cases, their items and their supplement events straight into the read model in
batches (SQLite: executemany on the driver's connection; PostgreSQL: COPY), and adds their
rows to the dashboard's rollups, as the read-model writer would have. Nothing runs through
Temporal: these cases have no workflow. Every one is marked synthetic: its applicant is the
user `synthetic`, its id starts with `syn-<tag>-`, its form is {"synthetic": true}.

The same seed, count, scenarios and `until` give the same rows. Durations (illustrative, not
measured anywhere): automatic items take minutes; a reviewed item's department time is
log-normal around a department-specific share of its promised limit (so some breach it);
one reviewed item in ten asks for a supplement that the applicant answers in about two working
days (a few never do); a few reviews reject; one case in a hundred is withdrawn; cases that
would end after `until` are still running, with their open tasks (some overdue).
"""

import gc
import json
import math
import multiprocessing
import os
import random
import secrets
import time as clock_time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import Index, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from catalog.loader import Catalog
from catalog.models import ResolvedItem, ReviewMode, ScenarioSpec
from catalog.reform import reform_figures
from domain.statuses import CaseStatus, EventKind, ItemStatus
from reporting import rollups
from reporting.facts import CaseFacts, ItemFacts
from store import sealed
from store.models import CASE, EVENT, ITEM, Case, Role, User
from store.users import add_user

SYNTHETIC_USER = "synthetic"
ID_PREFIX = "syn-"
CLERK = "syn-clerk"
REASON = "合成数据 / synthetic"
SYNTHETIC_FORM = {"synthetic": True}
# Heavier weights for the scenarios people use most (illustrative).
WEIGHTS = {"newborn": 4.0, "school_enrolment": 2.0, "open_company": 2.0, "retirement": 1.5}
SUPPLEMENT_SHARE = 0.10
NEVER_ANSWERED = 0.04  # of the supplements asked
REJECT_SHARE = 0.02  # of the reviews
WITHDRAW_SHARE = 0.01  # of the cases
CASE_COLUMNS = (
    "id",
    "scenario",
    "scenario_version",
    "applicant_id",
    "request_hash",
    "status",
    "reason",
    "form",
    "submitted_at",
    "completed_at",
    "materials_baseline",
    "materials_provided",
    "fields_baseline",
    "fields_typed",
    "baseline_days",
    "actual_days",
    "applicant_days",
    "department_days",
    "breaches",
    "undone",
)
ITEM_COLUMNS = (
    "case_id",
    "item",
    "position",
    "department",
    "mode",
    "status",
    "outputs",
    "reason",
    "decided_by",
    "holder",
    "opened_at",
    "due_at",
    "completed_at",
    "department_days",
    "applicant_days",
    "breached",
    "escalated_at",
)
EVENT_COLUMNS = ("case_id", "item", "kind", "at", "actor", "detail")


@dataclass(slots=True)
class SynCase(CaseFacts):
    """A synthetic case: what the rollups read, and what the case table holds besides."""

    _: KW_ONLY
    fields_baseline: int
    fields_typed: int
    undone: list[str]
    started_at: datetime | None = None


@dataclass(slots=True)
class SynItem(ItemFacts):
    """A synthetic item: what the rollups read, and what the item table holds besides."""

    _: KW_ONLY
    position: int
    started_at: datetime | None = None  # ready to start
    due_at: datetime | None = None
    holder: str | None = None
    reason: str | None = None
    escalated_at: datetime | None = None


@dataclass(slots=True)
class SynEvent:
    item: str
    kind: EventKind
    at: datetime


@dataclass
class Generated:
    case: SynCase
    items: list[SynItem]
    events: list[SynEvent] = field(default_factory=list)


@dataclass
class _Plan:
    """What every case of one scenario version shares."""

    spec: ScenarioSpec
    order: list[ResolvedItem]  # dependency order
    figures: dict[frozenset[str], tuple[int, int, int, int, float, int]]


@dataclass
class SeedResult:
    cases: int
    items: int
    events: int
    rollup_rows: int
    seconds: float
    generate_seconds: float  # waiting for generated cases (all of it without workers)
    insert_seconds: dict[str, float]  # writing them, per database (dialect name)


class Generator:
    """Deterministic synthetic cases (see the module's docstring)."""

    def __init__(
        self,
        catalog: Catalog,
        seed: int,
        until: datetime,
        days: int = 730,
        scenarios: Sequence[str] | None = None,
        tag: str | None = None,
    ):
        self.catalog = catalog
        self.seed = seed
        self.random = random.Random(seed)
        self.until = until.astimezone(UTC)
        self.until_ts = self.until.timestamp()
        self.days = days
        self.tag = tag or f"s{seed}"
        self.clock = rollups.clock_of(catalog.calendar)
        codes = list(scenarios) if scenarios else [s.code for s in catalog.latest_versions()]
        unknown = [c for c in codes if catalog.scenario(c) is None]
        if unknown:
            raise ValueError(f"unknown scenario(s): {', '.join(unknown)}")
        self.plans = [self._plan(code) for code in codes]
        self.weights = [WEIGHTS.get(code, 1.0) for code in codes]
        departments = sorted(catalog.departments)
        # each department's typical share of the promised limit (0.35 .. 0.7), illustrative
        self.pace = {d: 0.35 + 0.35 * random.Random(f"{seed}/{d}").random() for d in departments}
        self.requires = {
            (p.spec.code, p.spec.version): {i.code: list(i.requires) for i in p.spec.items}
            for p in self.plans
        }

    def chunk(self, start: int, size: int, formats: Sequence["_Format"]) -> "_Chunk":
        """Cases start .. start + size - 1 as rows for each database, with their rollup
        rows. Each chunk has a random stream of its own (seeded by the seed and its start),
        so chunks can be made in any order or process and give the same cases."""
        self.random.seed(f"{self.seed}/{start}")
        cases = [self.case(index) for index in range(start, start + size)]
        totals: rollups.Contribution = {}
        for g in cases:
            c = g.case
            requires = self.requires[(c.scenario, c.scenario_version)]
            rollups.accumulate(totals, rollups.contribution(c, g.items, requires, self.clock))
        rows = [f.rows(cases) for f in formats]
        items = sum(len(g.items) for g in cases)
        events = sum(len(g.events) for g in cases)
        return _Chunk(size, items, events, rows, totals)

    def _plan(self, code: str) -> _Plan:
        spec = self.catalog.spec(code)
        assert spec is not None
        order: list[ResolvedItem] = []
        placed: set[str] = set()
        while len(order) < len(spec.items):
            for item in spec.items:
                if item.code not in placed and all(r in placed for r in item.requires):
                    order.append(item)
                    placed.add(item.code)
        return _Plan(spec, order, {})

    def _figures(self, plan: _Plan, codes: frozenset[str]) -> tuple[int, int, int, int, float, int]:
        """(materials one by one, asked, fetched, fields one by one, days one by one, typed)."""
        if codes not in plan.figures:
            spec = plan.spec.model_copy(
                update={"items": [i for i in plan.spec.items if i.code in codes]}
            )
            f = reform_figures(self.catalog, spec)
            plan.figures[codes] = (
                f.materials_baseline,
                len(f.materials_asked),
                len(f.materials_fetched),
                f.fields_baseline,
                f.baseline_days,
                f.fields_asked,
            )
        return plan.figures[codes]

    def _submitted(self) -> float:
        """Mostly on working days, mostly in the daytime (China time); to the millisecond."""
        r, clock = self.random, self.clock
        index = clock.index(self.until_ts - r.random() * self.days * 86400)
        if not clock.working[index] and r.random() < 0.7:
            while not clock.working[index]:
                index += 1
        hour = 8 + r.random() * 13 if r.random() < 0.9 else r.random() * 24
        at = round(clock.midnight(index) + hour * 3600, 3)
        return min(at, self.until_ts - 1)

    def case(self, index: int) -> Generated:
        r, clock, now = self.random, self.clock, self.until_ts
        plan = r.choices(self.plans, self.weights)[0]
        submitted = self._submitted()
        started = submitted + 0.05 + r.random() * 0.5
        applicable = [i for i in plan.order if i.when is None or r.random() < 0.6]
        codes = frozenset(i.code for i in applicable)
        m_base, m_asked, m_fetched, f_base, d_base, f_typed = self._figures(plan, codes)
        # a registry that does not answer: its materials are asked after all
        missing = sum(r.random() < 0.05 for _ in range(m_fetched))
        withdraw_at = submitted + r.random() * 10 * 86400 if r.random() < WITHDRAW_SHARE else None
        # 1. every item's whole course, as if nothing stopped the case
        lines: list[_Line | None] = []
        ends: dict[str, float] = {}
        for spec in applicable:
            if any(c in codes and c not in ends for c in spec.requires):
                lines.append(None)  # what it needs never ends well
                continue
            ready = max([started] + [ends[c] for c in spec.requires if c in ends])
            line = (
                _Line(ready, ready + 30 + r.random() * 1200)
                if spec.mode is ReviewMode.automatic
                else self._review(spec, ready)
            )
            lines.append(line)
            if line.outcome == "done":
                ends[spec.code] = line.end
        # 2. how and when the case ends
        stops = [(ln.end, ln.outcome) for ln in lines if ln is not None and ln.outcome != "done"]
        status, ended_at = CaseStatus.running, None
        first_stop = min(stops, default=None)
        if first_stop and first_stop[0] <= now:
            kind = first_stop[1]
            status = CaseStatus.rejected if kind == "rejected" else CaseStatus.not_supplemented
            ended_at = first_stop[0]
        elif all(ln is not None for ln in lines) and ends and max(ends.values()) <= now:
            status, ended_at = CaseStatus.completed, max(ends.values())
        if withdraw_at is not None and withdraw_at <= now:
            if ended_at is None or withdraw_at < ended_at:
                status, ended_at = CaseStatus.withdrawn, withdraw_at
        cutoff = now if ended_at is None else ended_at
        # 3. every item as it stands at the cutoff
        items: list[SynItem] = []
        events: list[SynEvent] = []
        for position, (spec, course) in enumerate(zip(applicable, lines, strict=True)):
            item = SynItem(
                spec.code, spec.department, spec.mode.value, ItemStatus.pending, position=position
            )
            items.append(item)
            if course is not None and course.start < cutoff:
                self._state(item, spec, course, cutoff, events)
            if ended_at is not None and item.completed_at is None:
                item.status = ItemStatus.cancelled  # what had not ended ends with the case
        reviewed = [i for i in items if i.mode == "reviewed"]
        ended = ended_at is not None
        case = SynCase(
            id=f"{ID_PREFIX}{self.tag}-{index:07d}",
            scenario=plan.spec.code,
            scenario_version=plan.spec.version,
            status=status,
            submitted_at=_dt(submitted),
            completed_at=_dt(ended_at),
            materials_baseline=m_base,
            materials_provided=m_asked + missing,
            fields_baseline=f_base,
            fields_typed=f_typed,
            baseline_days=d_base,
            actual_days=clock.between_ts(submitted, ended_at) if ended_at else None,
            applicant_days=sum(i.applicant_days for i in reviewed) if ended else 0.0,
            department_days=sum(i.department_days for i in reviewed) if ended else 0.0,
            breaches=sum(i.breached for i in reviewed) if ended else 0,
            undone=[i.item for i in items if i.status is not ItemStatus.done] if ended else [],
            started_at=_dt(started),
        )
        return Generated(case, items, events)

    def _review(self, spec: ResolvedItem, opened: float) -> "_Line":
        """A reviewed item's whole course from its task's opening."""
        r, clock = self.random, self.clock
        promised = float(spec.promised_days) or 0.5
        work = r.lognormvariate(math.log(promised * self.pace[spec.department]), 0.6)
        work = min(work, 3 * promised)  # a long tail, not an endless one
        line = _Line(opened, opened, promised=promised, work=work)
        line.due = clock.add_ts(opened, promised)
        if r.random() < SUPPLEMENT_SHARE:
            line.asked = clock.add_ts(opened, work * r.random())
            answer = r.lognormvariate(math.log(2.0), 0.7)
            limit = self.catalog.review.supplement_days
            if r.random() < NEVER_ANSWERED or answer > limit:
                line.answered = clock.add_ts(line.asked, limit)
                line.end, line.outcome = line.answered, "expired"
                return line
            line.answered = clock.add_ts(line.asked, answer)
            line.wait = clock.between_ts(line.asked, line.answered)
            line.due_after = clock.add_ts(opened, promised + line.wait)
        line.end = clock.add_ts(opened, work + line.wait)
        line.outcome = "rejected" if r.random() < REJECT_SHARE else "done"
        return line

    def _state(
        self, item: SynItem, spec: ResolvedItem, line: "_Line", at: float, events: list[SynEvent]
    ) -> None:
        """Fill `item` as it stands at `at` (its course started before)."""
        clock = self.clock
        item.started_at = _dt(line.start)
        if spec.mode is ReviewMode.automatic:
            if line.end <= at:
                item.status, item.completed_at = ItemStatus.done, _dt(line.end)
                item.elapsed_days = clock.between_ts(line.start, line.end)
            else:
                item.status = ItemStatus.running
            return
        item.opened_at, item.holder = item.started_at, CLERK
        due = line.due
        asked = line.asked is not None and line.asked <= at
        answered = line.answered is not None and line.answered <= at
        if asked:
            assert line.asked is not None
            events.append(SynEvent(item.item, EventKind.supplement_requested, _dt(line.asked)))
        if answered:
            assert line.answered is not None
            expired = line.outcome == "expired"
            kind = EventKind.supplement_expired if expired else EventKind.supplement_received
            events.append(SynEvent(item.item, kind, _dt(line.answered)))
        if line.end <= at:  # decided (or expired)
            item.completed_at = _dt(line.end)
            item.elapsed_days = clock.between_ts(line.start, line.end)
            if line.outcome == "expired":
                assert line.asked is not None and line.answered is not None
                item.status, item.reason = ItemStatus.rejected, REASON
                item.department_days = clock.between_ts(line.start, line.asked)
                item.applicant_days = clock.between_ts(line.asked, line.answered)
            else:
                item.status = ItemStatus.done if line.outcome == "done" else ItemStatus.rejected
                item.reason = REASON if line.outcome == "rejected" else None
                item.decided_by = CLERK
                item.department_days, item.applicant_days = line.work, line.wait
                due = line.due_after or line.due
                item.breached = line.work > line.promised
        elif asked and not answered:
            assert line.asked is not None
            item.status = ItemStatus.awaiting_supplement
            item.department_days = clock.between_ts(line.start, line.asked)
            item.applicant_days = clock.between_ts(line.asked, at)
            item.breached = item.department_days > line.promised
        else:
            item.status = ItemStatus.awaiting_review
            wait = line.wait if answered else 0.0
            due = (line.due_after if answered else None) or line.due
            item.department_days = max(0.0, clock.between_ts(line.start, at) - wait)
            item.applicant_days = wait
            item.breached = due < at
        item.due_at = _dt(due)
        item.escalated_at = item.due_at if item.breached else None


@overload
def _dt(ts: float) -> datetime: ...
@overload
def _dt(ts: None) -> None: ...
@overload
def _dt(ts: float | None) -> datetime | None: ...
def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


@dataclass(slots=True)
class _Line:
    """One item's whole course, as if nothing stopped its case (POSIX timestamps)."""

    start: float
    end: float
    outcome: str = "done"  # done | rejected | expired
    promised: float = 0.0
    work: float = 0.0  # department working days
    wait: float = 0.0  # applicant working days (answered supplement)
    due: float = 0.0
    due_after: float | None = None  # moved by the applicant's time
    asked: float | None = None
    answered: float | None = None


# -- writing ----------------------------------------------------------------------------


def synthetic_user(session: Session) -> int:
    """The applicant of every synthetic case (created once; its password is never known)."""
    user = session.exec(select_rows(User).where(User.username == SYNTHETIC_USER)).first()
    if user is None:
        user = add_user(
            session,
            SYNTHETIC_USER,
            secrets.token_urlsafe(24),
            Role.applicant,
            display_name="合成数据 Synthetic",
        )
    assert user.id is not None
    return user.id


@dataclass
class _Chunk:
    cases: int
    items: int
    events: int
    rows: list[tuple[list[Any], list[Any], list[Any]]]  # per database: cases, items, events
    totals: rollups.Contribution


class _Format:
    """How one database takes the rows (picklable: chunks are made in other processes)."""

    def __init__(self, dialect: str, applicant_id: int):
        self.name = dialect
        self.applicant_id = applicant_id
        self.postgres = dialect == "postgresql"
        # columns other sessions may add to the read model, filled when present
        self.case_started = "started_at" in CASE.c
        self.item_started = "started_at" in ITEM.c
        self.item_elapsed = "elapsed_days" in ITEM.c
        self.case_columns = CASE_COLUMNS + (("started_at",) if self.case_started else ())
        self.item_columns = (
            ITEM_COLUMNS
            + (("started_at",) if self.item_started else ())
            + (("elapsed_days",) if self.item_elapsed else ())
        )
        # the sealed columns' stored texts (store/sealed.py), sealed once: every synthetic
        # row holds the same non-personal value
        self.form = sealed.stored(SYNTHETIC_FORM, "case.form")
        self.outputs = sealed.stored({}, "case_item.outputs")
        self.detail = sealed.stored(SYNTHETIC_FORM, "case_event.detail")

    def _ts(self, value: datetime | None) -> Any:
        """SQLite: the text SQLAlchemy stores (naive UTC, always with microseconds)."""
        if value is None or self.postgres:
            return value
        return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]

    def rows(
        self, batch: Sequence[Generated]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The rows of these cases, their items and events, as this database takes them."""
        ts, pg, applicant_id = self._ts, self.postgres, self.applicant_id
        cases, items, events = [], [], []
        for g in batch:
            c = g.case
            row: tuple[Any, ...] = (
                c.id,
                c.scenario,
                c.scenario_version,
                applicant_id,
                "synthetic",
                c.status.value,
                REASON if c.status not in (CaseStatus.completed, CaseStatus.running) else None,
                self.form,
                ts(c.submitted_at),
                ts(c.completed_at),
                c.materials_baseline,
                c.materials_provided,
                c.fields_baseline,
                c.fields_typed,
                c.baseline_days,
                c.actual_days,
                c.applicant_days,
                c.department_days,
                c.breaches,
                json.dumps(c.undone),
            )
            cases.append(row + ((ts(c.started_at),) if self.case_started else ()))
            for i in g.items:
                row = (
                    c.id,
                    i.item,
                    i.position,
                    i.department,
                    i.mode,
                    i.status.value,
                    self.outputs,
                    i.reason,
                    i.decided_by,
                    i.holder,
                    ts(i.opened_at),
                    ts(i.due_at),
                    ts(i.completed_at),
                    i.department_days,
                    i.applicant_days,
                    i.breached if pg else int(i.breached),
                    ts(i.escalated_at),
                )
                if self.item_started:
                    row += (ts(i.started_at),)
                if self.item_elapsed:
                    row += (i.elapsed_days,)
                items.append(row)
            for e in g.events:
                events.append((c.id, e.item, e.kind.value, ts(e.at), CLERK, self.detail))
        return cases, items, events


class _Writer:
    """Batched inserts on the driver's own connection (no ORM objects): SQLite
    executemany, PostgreSQL COPY."""

    def __init__(self, engine: Engine, applicant_id: int):
        self.engine = engine
        self.name = engine.dialect.name
        self.format = _Format(self.name, applicant_id)
        self.deferred: list[Index] = []
        self.replica: bool | None = None  # PostgreSQL let this session skip FK triggers

    def defer_indexes(self) -> None:
        """Into empty tables, a bulk load runs faster without the secondary indexes; they
        are built once at the end (`restore_indexes`)."""
        with self.engine.begin() as connection:
            if connection.execute(select(func.count()).select_from(Case)).scalar():
                return
            for table in (CASE, ITEM, EVENT):
                for index in table.indexes:
                    index.drop(connection)
                    self.deferred.append(index)

    def _skip_foreign_key_checks(self, raw: Any, cursor: Any) -> None:
        """Per-row foreign-key checks cost more than the insert itself; a bulk load of rows
        made consistent skips them where the database lets it (PostgreSQL: superuser)."""
        if not self.format.postgres:
            cursor.execute("PRAGMA foreign_keys=OFF")
            return
        if self.replica is False:
            return
        try:
            cursor.execute("SET LOCAL session_replication_role = replica")
            self.replica = True
        except Exception:  # noqa: BLE001 - not allowed: keep the checks
            raw.rollback()
            self.replica = False

    def restore_indexes(self) -> None:
        with self.engine.begin() as connection:
            for index in self.deferred:
                index.create(connection)
        self.deferred = []

    def write(self, cases: list[Any], items: list[Any], events: list[Any]) -> None:
        f = self.format
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if not f.postgres:
                cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB for the index pages
            if self.deferred:  # a bulk load into empty tables: rows are consistent as made
                self._skip_foreign_key_checks(raw, cursor)
            for table, columns, rows in (
                ("case", f.case_columns, cases),
                ("case_item", f.item_columns, items),
                ("case_event", EVENT_COLUMNS, events),
            ):
                if not rows:
                    continue
                names = ", ".join(columns)
                if f.postgres:
                    with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:  # type: ignore[attr-defined]
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" * len(columns))
                    cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
            raw.commit()
        finally:
            raw.close()


# chunks made in other processes: each worker's generator and formats
_WORKER: dict[str, Any] = {}


def _start_worker(generator: "Generator", formats: list[_Format]) -> None:
    _WORKER["generator"], _WORKER["formats"] = generator, formats


def _make_chunk(start: int, size: int) -> _Chunk:
    return _WORKER["generator"].chunk(start, size, _WORKER["formats"])


def seed_cases(
    engine: Engine | Sequence[Engine],
    catalog: Catalog,
    count: int,
    *,
    seed: int = 1,
    until: datetime | None = None,
    days: int = 730,
    scenarios: Sequence[str] | None = None,
    tag: str | None = None,
    batch: int = 20_000,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Insert `count` synthetic cases and add them to the dashboard's rollups: into one
    database, or the same cases into several (generated once, written to each).

    Chunks of `batch` cases are generated by `workers` other processes (default: one per
    CPU, none for small counts) while this one writes. Into empty tables the
    secondary indexes are built once at the end."""
    began = clock_time.perf_counter()
    engines = [engine] if isinstance(engine, Engine) else list(engine)
    generator = Generator(catalog, seed, until or datetime.now(UTC), days, scenarios, tag)
    writers = [_Writer(e, _synthetic_applicant(e, generator.tag)) for e in engines]
    if workers is None:
        workers = (os.cpu_count() or 1) if count >= 4 * batch else 0
    collecting = gc.isenabled()
    gc.disable()  # millions of small acyclic objects: the cycle collector only slows this
    try:
        result = _seed(generator, writers, count, batch, workers, progress)
    finally:
        if collecting:
            gc.enable()
    result.seconds = clock_time.perf_counter() - began
    return result


def _synthetic_applicant(engine: Engine, tag: str) -> int:
    """The synthetic applicant's id; refuses a tag that was seeded already."""
    with Session(engine) as session:
        prefix = f"{ID_PREFIX}{tag}-"
        taken = (
            session.connection()
            .execute(select(func.count()).select_from(Case).where(col(Case.id).startswith(prefix)))
            .scalar()
        )
        if taken:
            raise ValueError(
                f"{taken} synthetic cases with ids {prefix}* exist already: "
                "choose another --seed or --tag, or remove them with --clear"
            )
        return synthetic_user(session)


def _chunks(
    generator: Generator, formats: list[_Format], count: int, batch: int, workers: int
) -> Iterator[_Chunk]:
    """The chunks in order, made here or by `workers` processes a few chunks ahead."""
    starts = range(0, count, batch)
    if not workers:
        for start in starts:
            yield generator.chunk(start, min(batch, count - start), formats)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(generator, formats)
    ) as pool:
        pending: deque[Future[_Chunk]] = deque()
        for start in starts:
            pending.append(pool.submit(_make_chunk, start, min(batch, count - start)))
            if len(pending) > workers + 1:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _seed(
    generator: Generator,
    writers: list[_Writer],
    count: int,
    batch: int,
    workers: int,
    progress: Callable[[int], None] | None,
) -> SeedResult:
    totals: rollups.Contribution = {}
    n_items = n_events = 0
    insert_s = dict.fromkeys((w.name for w in writers), 0.0)
    waited = 0.0
    for writer in writers:
        t0 = clock_time.perf_counter()
        writer.defer_indexes()
        insert_s[writer.name] += clock_time.perf_counter() - t0
    formats = [w.format for w in writers]
    chunks = _chunks(generator, formats, count, batch, workers)
    while True:
        t0 = clock_time.perf_counter()
        chunk = next(chunks, None)
        waited += clock_time.perf_counter() - t0
        if chunk is None:
            break
        rollups.accumulate(totals, chunk.totals)
        for writer, (cases, items, events) in zip(writers, chunk.rows, strict=True):
            t0 = clock_time.perf_counter()
            writer.write(cases, items, events)
            insert_s[writer.name] += clock_time.perf_counter() - t0
        n_items += chunk.items
        n_events += chunk.events
        if progress:
            progress(chunk.cases)
    for writer in writers:
        t0 = clock_time.perf_counter()
        writer.restore_indexes()
        with writer.engine.begin() as connection:
            empty = all(
                connection.execute(select(func.count()).select_from(t)).scalar() == 0
                for t in rollups.ROLLUPS
            )
            if empty:
                rollups.insert_rows(connection, totals)
            else:
                rollups.add_rows(connection, totals)
        insert_s[writer.name] += clock_time.perf_counter() - t0
    return SeedResult(
        cases=count,
        items=n_items,
        events=n_events,
        rollup_rows=len(totals),
        seconds=0.0,
        generate_seconds=waited,
        insert_seconds=insert_s,
    )


def clear_synthetic(engine: Engine, catalog: Catalog) -> int:
    """Delete every synthetic case (with its items and events) and rebuild the rollups from
    what is left; returns the number of cases deleted."""
    with Session(engine) as session:
        ids = select(CASE.c.id).where(CASE.c.id.startswith(ID_PREFIX))
        connection = session.connection()
        deleted = connection.execute(select(func.count()).select_from(ids.subquery())).scalar()
        for t in (EVENT, ITEM):
            connection.execute(t.delete().where(t.c.case_id.in_(ids)))
        connection.execute(CASE.delete().where(CASE.c.id.startswith(ID_PREFIX)))
        rollups.rebuild(session, catalog)
        session.commit()
    return int(deleted or 0)
