"""Working-day arithmetic on the shipped 2026 calendar (China time): rest days count nothing."""

from datetime import UTC, datetime

import pytest

from catalog.calendar import CHINA_TZ, WorkCalendar
from catalog.loader import get_catalog


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
