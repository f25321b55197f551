"""The simulation's configuration, distributions, clocks and CLI errors (no server)."""

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalog.calendar import CHINA_TZ, WorkCalendar
from catalog.loader import get_catalog
from cli import app
from simulation.baseline import deterministic, one_by_one
from simulation.behaviour import system_ready
from simulation.clock import OfficeHours, arrival_offsets, step_end
from simulation.config import ConfigError, check_against, load_config
from simulation.distributions import Dist
from simulation.figures import histogram, percentile
from workflows.models import ItemRequest


def test_defaults_load_and_every_entry_has_a_source():
    config = load_config()
    assert config.reviews.of("household_registration").supplement_rate == 0.10
    assert config.reviews.of("some_other_item") is config.reviews.default
    for entry in (config.arrivals, config.clerks, config.applicants, config.baseline):
        assert entry.source.citation
    for review in [config.reviews.default, *config.reviews.items.values()]:
        assert review.source.citation
    for system in [config.systems.default, *config.systems.items.values()]:
        assert system.source.citation


def test_a_file_changes_only_what_it_names(tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text("reviews:\n  items:\n    household_registration:\n      supplement_rate: 0.3\n")
    config = load_config(path)
    review = config.reviews.of("household_registration")
    assert review.supplement_rate == 0.3
    assert review.decision == load_config().reviews.of("household_registration").decision


@pytest.mark.parametrize(
    "text, where",
    [
        ("arrivals: {per_working_day: -1}\n", "arrivals.per_working_day"),
        ("baseline: {processing: {dist: lognormal, median: 1}}\n", "baseline.processing"),
        ("reviews: {default: {supplement_rate: 0.7, reject_rate: 0.5}}\n", "reviews.default"),
        ("systems: {default: {processing: {dist: uniform, low: 1}}}\n", "systems.default"),
        ("clerk: {office_hours: [9, 17]}\n", "clerk"),
        ("- not a mapping\n", "mapping"),
    ],
)
def test_bad_files_name_the_place(tmp_path: Path, text: str, where: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        load_config(path)


def test_entries_for_the_wrong_kind_of_item_or_foreign_fields_are_refused(tmp_path: Path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "reviews:\n  items:\n    birth_medical_certificate: {pickup: {dist: fixed, value: 1},"
        " decision: {dist: fixed, value: 1}, supplement_rate: 0, answer: {dist: fixed, "
        "value: 1}, recheck: {dist: fixed, value: 1}}\n"
        "    household_registration: {asks: {fields: [company_name]}}\n"
        "systems:\n  items:\n    household_registration: {processing: {dist: fixed, value: 1}}\n"
    )
    spec = get_catalog(None).spec("newborn")
    problems = check_against(load_config(path), {i.code: i for i in spec.items})
    assert any(
        "reviews.items.birth_medical_certificate" in p and "automatic" in p for p in problems
    )
    assert any("company_name" in p for p in problems)
    assert any("systems.items.household_registration" in p for p in problems)
    assert len(problems) == 3


def test_department_systems_issue_after_their_drawn_share_of_the_promise():
    """Automatic items wait for their system (a share of the promised limit, drawn once per
    case and item from the seed); reviewed items are issued once approved."""
    catalog = get_catalog(None)
    spec = catalog.spec("newborn")
    systems = load_config().systems
    ready = system_ready(systems, spec, catalog.calendar, seed=3)
    asked = datetime(2026, 12, 1, 1, tzinfo=UTC)  # a Tuesday, 09:00 in China

    def request(code: str, case_id: str = "c1") -> ItemRequest:
        item = spec.item(code)
        return ItemRequest(
            case_id=case_id, scenario="newborn", item=code, department=item.department, fields={}
        )

    assert ready(request("household_registration"), asked) is None
    card = ready(request("social_security_card"), asked)
    assert card == ready(request("social_security_card"), asked)  # the same seed, case, item
    days = [
        catalog.calendar.working_days_between(
            asked, ready(request("maternity_allowance", f"c{n}"), asked) or asked
        )
        for n in range(400)
    ]
    promised = spec.item("maternity_allowance").promised_days
    assert max(days) <= promised + 1e-6  # capped at the promise
    assert sorted(days)[200] == pytest.approx(0.5 * promised, rel=0.15)  # half at the median


def test_distributions_draw_what_they_say():
    rng = random.Random(1)
    lognormal = Dist(dist="lognormal", median=1.5, sigma=0.5)
    draws = sorted(lognormal.sample(rng) for _ in range(4000))
    assert draws[2000] == pytest.approx(1.5, rel=0.05)
    assert Dist(dist="uniform", low=1, high=3).expected() == 2
    capped = Dist(dist="exponential", mean=5, max=2)
    assert max(capped.sample(rng) for _ in range(500)) == 2
    assert Dist(dist="fixed", value=2).sample(rng, scale=3) == 6
    assert lognormal.describe() == "lognormal(median 1.5, sigma 0.5)"
    with pytest.raises(ValueError):
        Dist(dist="triangular", low=1, mode=5, high=3)


def test_one_by_one_is_around_the_catalogs_80_days():
    catalog = get_catalog(None)
    spec = catalog.spec("newborn")
    config = load_config().baseline
    rng = random.Random(3)
    totals = sorted(one_by_one(spec, config, rng).days for _ in range(2000))
    assert deterministic(spec) == 80
    assert 75 < totals[1000] < 88


def test_clocks():
    calendar = WorkCalendar()
    office = OfficeHours(calendar, (9, 17))
    friday_evening = datetime(2026, 12, 4, 18, 0, tzinfo=CHINA_TZ)
    assert office.next_open(friday_evening) == datetime(2026, 12, 7, 9, 0, tzinfo=CHINA_TZ)
    tuesday_noon = datetime(2026, 12, 8, 12, 0, tzinfo=CHINA_TZ)
    assert office.next_open(tuesday_noon) == tuesday_noon
    origin = datetime(2026, 12, 1, 0, 0, tzinfo=CHINA_TZ)
    step = timedelta(minutes=30)
    assert step_end(origin + timedelta(minutes=31), origin, step) == origin + timedelta(hours=1)
    assert step_end(origin + timedelta(minutes=30), origin, step) == origin + step
    offsets = arrival_offsets(100, 2.5, random.Random(1))
    assert offsets == sorted(offsets) and 0 <= offsets[0] and offsets[-1] <= 2.5


def test_percentiles_and_histograms():
    assert percentile([3, 1, 2, 4], 0.5) == 2
    assert percentile([3, 1, 2, 4], 0.9) == 4
    assert percentile([], 0.5) is None
    buckets = histogram([0.2, 0.4, 1.1, 2.6], 0.5)
    assert [(b.low, b.cases) for b in buckets] == [
        (0, 2),
        (0.5, 0),
        (1, 1),
        (1.5, 0),
        (2, 0),
        (2.5, 1),
    ]


def test_cli_refuses_a_bad_configuration_before_starting_anything(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("reviews: {default: {supplement_rate: 2}}\n")
    result = CliRunner().invoke(app, ["simulate", "--cases", "5", "--config", str(bad)])
    assert result.exit_code == 2
    assert "supplement_rate" in result.output
    unknown = CliRunner().invoke(app, ["simulate", "--scenario", "nonesuch", "--cases", "5"])
    assert unknown.exit_code == 2 and "unknown scenario" in unknown.output


def test_a_distribution_replaces_the_default_whole(tmp_path: Path):
    path = tmp_path / "c.yaml"
    path.write_text("baseline: {processing: {dist: uniform, low: 0.8, high: 1.2}}\n")
    assert load_config(path).baseline.processing == Dist(dist="uniform", low=0.8, high=1.2)
