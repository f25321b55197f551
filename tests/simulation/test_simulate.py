"""`simulate` end to end: 40 newborn cases through the real workflows on the time-skipping
server; every figure of the report is recomputed here from the run's database with plain
SQL (sqlite3), independently of simulation/figures.py. Forty are enough for every figure to
have cases behind it (supplements, rejections, both branches on the critical path); what the
workflow does with each decision is tested case by case in tests/workflows/fast/."""

import json
import math
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from random import Random

import pytest

from catalog.calendar import WorkCalendar
from catalog.loader import get_catalog
from simulation.clock import arrival_offsets, step_end
from simulation.config import load_config
from simulation.run import simulate

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
CASES = 40


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def stamp(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, sqlite3.Connection]:
    folder = tmp_path_factory.mktemp("simulation")
    report, database = folder / "report.html", folder / "run.db"
    result = simulate("newborn", CASES, seed=7, out=report, database=database, shards=2)
    assert result.shards == 2 and result.cases_per_second > 0
    assert result.report == report and database.exists()
    html = report.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="figures">(.*?)</script>', html, re.S)
    assert found, "the report embeds its figures"
    figures = json.loads(found.group(1).replace("<\\/", "</"))
    db = sqlite3.connect(database)
    yield figures, html, db
    db.close()


def test_every_case_ran_and_the_counts_match(run):
    figures, _, db = run
    (cases,) = db.execute('SELECT count(*) FROM "case"').fetchone()
    statuses = dict(db.execute('SELECT status, count(*) FROM "case" GROUP BY status').fetchall())
    assert cases == CASES == figures["cases"]
    assert figures["by_status"] == statuses
    assert "running" not in statuses and "submitted" not in statuses  # every case ended
    assert figures["completed"] == statuses.get("completed", 0) >= 0.9 * CASES
    # each case has its own applicant, created for the run
    (applicants,) = db.execute('SELECT count(DISTINCT applicant_id) FROM "case"').fetchone()
    assert applicants == CASES


def test_bundled_days_are_the_read_models(run):
    figures, _, db = run
    days = [d for (d,) in db.execute("SELECT actual_days FROM \"case\" WHERE status='completed'")]
    assert figures["bundled"]["n"] == len(days)
    assert figures["bundled"]["median"] == pytest.approx(nearest_rank(days, 0.5), abs=1e-9)
    assert figures["bundled"]["p90"] == pytest.approx(nearest_rank(days, 0.9), abs=1e-9)
    assert sum(b["cases"] for b in figures["bundled_histogram"]) == len(days)
    # actual_days is what the calendar says between submission and completion
    calendar = get_catalog(None).calendar
    assert isinstance(calendar, WorkCalendar)
    for submitted, completed, actual in db.execute(
        "SELECT submitted_at, completed_at, actual_days FROM \"case\" WHERE status='completed' "
        "LIMIT 20"
    ):
        between = calendar.working_days_between(stamp(submitted), stamp(completed))
        assert actual == pytest.approx(between, abs=1e-6)


def test_baseline_days_are_the_runs(run):
    figures, _, db = run
    (catalog_days,) = db.execute('SELECT avg(baseline_days) FROM "case"').fetchone()
    assert figures["catalog_baseline_days"] == pytest.approx(catalog_days) == 80
    drawn = [
        d
        for (d,) in db.execute(
            'SELECT b.days FROM sim_baseline b JOIN "case" c ON c.id = b.case_id '
            "WHERE c.status = 'completed'"
        )
    ]
    assert figures["one_by_one"]["n"] == len(drawn) == figures["completed"]
    assert figures["one_by_one"]["median"] == pytest.approx(nearest_rank(drawn, 0.5), abs=1e-9)
    assert figures["one_by_one"]["p90"] == pytest.approx(nearest_rank(drawn, 0.9), abs=1e-9)
    # each draw is the sum of its items' processing and visits, around the catalog's 80
    for days, items in db.execute("SELECT days, items FROM sim_baseline LIMIT 20"):
        assert days == pytest.approx(sum(p + v for p, v in json.loads(items).values()))
    assert 65 < figures["one_by_one"]["median"] < 95


def test_reductions_and_sla_are_the_read_models(run):
    figures, _, db = run
    base, provided = db.execute(
        'SELECT sum(materials_baseline), sum(materials_provided) FROM "case"'
    ).fetchone()
    assert (figures["materials_baseline"], figures["materials_provided"]) == (base, provided)
    assert figures["material_reduction"] == pytest.approx(1 - provided / base)
    decided, breached = db.execute(
        "SELECT count(*), sum(breached) FROM case_item "
        "WHERE mode = 'reviewed' AND decided_by IS NOT NULL"
    ).fetchone()
    assert (figures["reviewed_decided"], figures["breached"]) == (decided, breached)
    assert figures["time_reduction"] == pytest.approx(
        1 - figures["bundled"]["median"] / figures["one_by_one"]["median"]
    )


def test_what_drives_the_remaining_days(run):
    """Each completed case's critical path, walked back here from the item that ended last
    through the required item that ended last: per item, the cases whose path it is on and
    the working days it spent there (from its task's opening, or from when the last item it
    requires ended). The path is the case's whole time, the police review the largest part,
    and the department systems of the automatic items the rest."""
    figures, _, db = run
    calendar = get_catalog(None).calendar
    requires = {i.code: i.requires for i in get_catalog(None).spec("newborn").items}
    cases: dict[str, dict[str, tuple[datetime | None, datetime]]] = {}
    starts, total = {}, 0.0
    for case_id, started, actual, item, opened, ended in db.execute(
        "SELECT c.id, c.started_at, c.actual_days, i.item, i.opened_at, i.completed_at "
        "FROM \"case\" c JOIN case_item i ON i.case_id = c.id WHERE c.status = 'completed'"
    ):
        if case_id not in cases:
            total += actual
        starts[case_id] = stamp(started)
        cases.setdefault(case_id, {})[item] = (opened and stamp(opened), stamp(ended))
    on_path: dict[str, list[float]] = {}
    for case_id, items in cases.items():
        code = max(items, key=lambda c: (items[c][1], c))
        while code:
            opened, ended = items[code]
            before = [r for r in requires[code] if r in items]
            began = opened or max((items[r][1] for r in before), default=starts[case_id])
            on_path.setdefault(code, []).append(calendar.working_days_between(began, ended))
            code = max(before, key=lambda c: (items[c][1], c)) if before else None
    drivers = {d["item"]: d for d in figures["drivers"]}
    for code, days in on_path.items():
        assert drivers[code]["critical"] == len(days), code
        assert drivers[code]["critical_days"] == pytest.approx(sum(days), abs=1e-3), code
    assert sum(d["critical"] for d in drivers.values()) == sum(map(len, on_path.values()))
    assert len(cases) == figures["completed"]
    # a maternity payment (promised 3 days) sometimes ends after the police's branch
    assert len(cases) > drivers["household_registration"]["critical"] > len(cases) / 2
    assert figures["drivers"][0]["item"] == "household_registration"
    assert sum(map(sum, on_path.values())) == pytest.approx(total, rel=0.01)
    assert 0.3 < drivers["household_registration"]["share_of_days"] < 0.8
    supplements = db.execute(
        "SELECT count(*) FROM case_event WHERE kind = 'supplement_requested'"
    ).fetchone()[0]
    assert figures["reviews"][0]["supplements"] == supplements > 0  # ~10 % ask for one


def test_each_case_arrived_as_drawn_for_the_whole_run(run):
    """Two shards ran the cases (even and odd arrival order) from the run's start: each case
    was submitted at the end of the driver's step its whole-run arrival draw falls in."""
    figures, _, db = run
    driver = json.loads(db.execute("SELECT value FROM sim_run WHERE key = 'driver'").fetchone()[0])
    assert driver["shards"] == 2
    origin = stamp(driver["origin"])
    calendar = get_catalog(None).calendar
    offsets = arrival_offsets(CASES, load_config().arrivals.period(CASES), Random("7:arrivals"))
    step = timedelta(minutes=load_config().resolution_minutes)
    submitted = dict(
        db.execute(
            'SELECT b.position, c.submitted_at FROM "case" c '
            "JOIN sim_baseline b ON b.case_id = c.id"
        ).fetchall()
    )
    for position, offset in enumerate(offsets):
        due = step_end(calendar.add_working_days(origin, offset), origin, step)
        assert timedelta(0) <= stamp(submitted[position]) - due < timedelta(minutes=1), position


def test_the_report_shows_the_figures_in_both_languages(run):
    figures, html, _ = run
    for lang in ("zh", "en"):
        section = html.split(f'<article id="{lang}"', 1)[1].split("</article>", 1)[0]
        for name, value in (
            ("bundled-median", f"{figures['bundled']['median']:.1f}"),
            ("one-by-one-median", f"{figures['one_by_one']['median']:.1f}"),
            ("material-reduction", f"{figures['material_reduction'] * 100:.1f}%"),
        ):
            kpi = section.split(f'data-figure="{name}"', 1)[1].split('<div class="sub">', 1)[0]
            assert f">{value}<" in kpi, (lang, name, value)
        assert f"{figures['bundled']['p90']:.1f}" in section
        assert section.count("<svg") >= 4  # comparison, two distributions, drivers
    assert 'lang="zh-CN"' in html and 'lang="en"' in html
    assert "http" not in html.split("<body>", 1)[0].replace("http-equiv", "")  # no fetches
