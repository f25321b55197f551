"""Working-day arithmetic on a calendar that is data (weekends, holidays, make-up days)."""

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel

from catalog.models import Source

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
CALENDAR_FILE = Path(__file__).parent / "data" / "calendar.yaml"


class WorkCalendar(BaseModel):
    """Which days are working days; pure, so workflows may use it for their timers."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    source: Source = Source(illustrative=True)

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


@lru_cache
def get_calendar(path: Path = CALENDAR_FILE) -> WorkCalendar:
    """The configured calendar, read once."""
    return WorkCalendar.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
