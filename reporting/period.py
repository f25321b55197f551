"""The period a dashboard covers: China days, inclusive, and how the rollups cover it."""

from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel

from catalog.calendar import CHINA_TZ
from reporting.rollups import DAY, MONTH


class Period(BaseModel):
    start: date
    end: date  # inclusive

    @classmethod
    def last(cls, days: int, today: date | None = None) -> "Period":
        end = today or datetime.now(CHINA_TZ).date()
        return cls(start=end - timedelta(days=days - 1), end=end)

    def segments(self) -> list[tuple[int, date, date]]:
        """The period as rollup ranges: (grain, first, last) for its edge days and its whole
        months (a month row is keyed by the month's first day)."""
        first = self.start if self.start.day == 1 else _next_month(self.start)
        after = _next_month(self.end)  # the first day after the end's month
        last = after if self.end == after - timedelta(days=1) else self.end.replace(day=1)
        if first >= last:  # no whole month inside
            return [(DAY, self.start, self.end)]
        parts = [(MONTH, first, last - timedelta(days=1))]
        if self.start < first:
            parts.insert(0, (DAY, self.start, first - timedelta(days=1)))
        if last <= self.end:
            parts.append((DAY, last, self.end))
        return parts

    def bounds(self) -> tuple[datetime, datetime]:
        """[from, to) instants of the period's China days."""
        return (
            datetime.combine(self.start, time(), CHINA_TZ).astimezone(UTC),
            datetime.combine(self.end + timedelta(days=1), time(), CHINA_TZ).astimezone(UTC),
        )


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)
