"""Working-day arithmetic on a calendar that is data (weekends, holidays, make-up days)."""

from datetime import date, datetime, timedelta, timezone

from pydantic import BaseModel

from catalog.models import Source

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
# How far ahead the calendar must reach: beyond the longest time limit and its supplements.
COVERAGE_HORIZON_DAYS = 90


class WorkCalendar(BaseModel):
    """Which days are working days; pure, so workflows may use it for their timers."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    source: Source = Source(illustrative=True)

    @property
    def years(self) -> frozenset[int]:
        """The years the data cover: those with a holiday or make-up day listed (every year
        has holidays)."""
        return frozenset(d.year for d in self.holidays | self.workdays)

    def uncovered_years(self, start: date, days: int = COVERAGE_HORIZON_DAYS) -> list[int]:
        """Years from `start` to `days` later the calendar holds nothing for: a deadline that
        runs into one counts its weekends only, until its State Council notice is added."""
        last, covered = (start + timedelta(days=days)).year, self.years
        return [year for year in range(start.year, last + 1) if year not in covered]

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Elapsed time from start to end counting only working days, in days (fractional)."""
        if end <= start:
            return 0.0
        total = 0.0
        cursor, end = start.astimezone(CHINA_TZ), end.astimezone(CHINA_TZ)
        while cursor < end:
            next_midnight = datetime.combine(
                cursor.date() + timedelta(days=1), datetime.min.time(), cursor.tzinfo
            )
            segment_end = min(end, next_midnight)
            if self.is_working_day(cursor.date()):
                total += (segment_end - cursor).total_seconds()
            cursor = segment_end
        return total / 86400

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """The instant at which `days` working days have elapsed since `start`.

        A working day counts all of its 24 hours; rest days count none, so a limit that
        starts on a Friday morning runs through Monday and beyond, skipping the weekend.
        """
        remaining = max(days, 0.0) * 86400
        cursor = start.astimezone(CHINA_TZ)
        while True:
            next_midnight = datetime.combine(
                cursor.date() + timedelta(days=1), datetime.min.time(), cursor.tzinfo
            )
            if self.is_working_day(cursor.date()):
                available = (next_midnight - cursor).total_seconds()
                if remaining <= available:
                    return (cursor + timedelta(seconds=remaining)).astimezone(start.tzinfo)
                remaining -= available
            cursor = next_midnight
