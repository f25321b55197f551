"""Working-day arithmetic on the shipped 2026 calendar (China time): rest days count nothing."""

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalog.calendar import CHINA_TZ, WorkCalendar
from catalog.loader import DATA_DIR, get_catalog
from cli import app


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return get_catalog().calendar


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        # Within one working day: half a day.
        (cst(2026, 11, 23, 9), cst(2026, 11, 23, 21), 0.5),
        # Friday noon to Monday noon: the weekend counts nothing.
        (cst(2026, 11, 27, 12), cst(2026, 11, 30, 12), 1.0),
        # A whole weekend alone.
        (cst(2026, 11, 28), cst(2026, 11, 30), 0.0),
        # Wednesday noon before National Day to the Thursday after: 1-7 October are holidays.
        (cst(2026, 9, 30, 12), cst(2026, 10, 8, 12), 1.0),
        (cst(2026, 10, 1), cst(2026, 10, 8), 0.0),
        # Saturday 10 October is a make-up working day (调休).
        (cst(2026, 10, 10), cst(2026, 10, 11), 1.0),
        # Spring Festival: Friday 13 Feb and make-up Saturday 14 Feb work, 15-23 Feb do not.
        (cst(2026, 2, 13), cst(2026, 2, 24), 2.0),
        # New Year's Day holiday (1-3 Jan) and make-up Sunday 4 Jan.
        (cst(2025, 12, 31), cst(2026, 1, 5), 2.0),
        (cst(2026, 11, 23), cst(2026, 11, 23), 0.0),
        (cst(2026, 11, 24), cst(2026, 11, 23), 0.0),
    ],
)
def test_working_days_between(
    calendar: WorkCalendar, start: datetime, end: datetime, days: float
) -> None:
    assert calendar.working_days_between(start, end) == pytest.approx(days)


def test_days_are_counted_in_china_time(calendar: WorkCalendar) -> None:
    # 16:00 UTC on Friday is midnight into Saturday in China: nothing of Friday is left.
    friday_night = datetime(2026, 11, 27, 16, tzinfo=UTC)
    monday_morning = datetime(2026, 11, 29, 16, tzinfo=UTC)
    assert calendar.working_days_between(friday_night, monday_morning) == 0.0
    assert calendar.working_days_between(
        datetime(2026, 11, 27, 4, tzinfo=UTC), friday_night
    ) == pytest.approx(0.5)


def test_adding_working_days_skips_rest_days(calendar: WorkCalendar) -> None:
    assert calendar.add_working_days(cst(2026, 11, 27, 12), 1) == cst(2026, 11, 30, 12)
    assert calendar.add_working_days(cst(2026, 9, 30, 12), 1) == cst(2026, 10, 8, 12)
    start = cst(2026, 9, 28, 9)
    end = calendar.add_working_days(start, 5)
    assert calendar.working_days_between(start, end) == pytest.approx(5)


def test_the_years_covered_and_those_missing_ahead(calendar: WorkCalendar) -> None:
    """The shipped calendar holds 2026 (the State Council's notice); 2027 is not in it yet,
    which a date within the horizon of the longest deadlines reveals."""
    assert 2026 in calendar.years
    assert calendar.uncovered_years(date(2026, 6, 1)) == []
    assert calendar.uncovered_years(date(2026, 12, 7)) == ([] if 2027 in calendar.years else [2027])
    assert WorkCalendar().uncovered_years(date(2030, 1, 5), days=10) == [2030]


def test_lint_warns_of_a_calendar_that_lacks_the_coming_year(tmp_path: Path) -> None:
    data_dir = tmp_path / "catalog"
    shutil.copytree(DATA_DIR, data_dir)
    path = data_dir / "calendar.yaml"
    moved = re.sub(r"\b2026-", "1999-", path.read_text(encoding="utf-8"))  # no year ahead held
    path.write_text(moved, encoding="utf-8")
    result = CliRunner().invoke(app, ["catalog", "lint", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output  # a warning, not a broken catalog
    output = "".join(result.output.split())
    assert f"calendarlacks{datetime.now(CHINA_TZ).year}" in output, result.output
    assert "工作日历缺少" in output
