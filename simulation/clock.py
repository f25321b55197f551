"""Simulated time: when cases arrive, when clerks may act, the driver's steps.

Arrivals are a Poisson process over working time: given their number, the arrival instants
are independent and uniform over the period, counted in working days (catalog/calendar.py),
so nobody arrives on a rest day. Clerks act only in office hours of working days.
"""

import math
import random
from datetime import datetime, time, timedelta

from catalog.calendar import CHINA_TZ, WorkCalendar


def arrival_offsets(count: int, working_days: float, rng: random.Random) -> list[float]:
    """Sorted arrival instants of `count` cases, in working days from the period's start."""
    return sorted(rng.uniform(0, working_days) for _ in range(count))


class OfficeHours:
    """The next instant at which a clerk may act: `at` itself inside office hours of a
    working day, else the next opening."""

    def __init__(self, calendar: WorkCalendar, hours: tuple[int, int] | None):
        self.calendar = calendar
        self.hours = hours

    def next_open(self, at: datetime) -> datetime:
        if self.hours is None:
            return at
        opening, closing = self.hours
        local = at.astimezone(CHINA_TZ)
        day = local.date()
        for _ in range(400):
            start = datetime.combine(day, time(opening), CHINA_TZ)
            end = datetime.combine(day, time(0), CHINA_TZ) + timedelta(hours=closing)
            if self.calendar.is_working_day(day) and local < end:
                return max(local, start).astimezone(at.tzinfo)
            day += timedelta(days=1)
        raise ValueError(f"no working day within 400 days of {at}")


def step_end(at: datetime, origin: datetime, step: timedelta) -> datetime:
    """The end of the driver's step that `at` falls in (steps are counted from `origin`)."""
    if at <= origin:
        return origin
    steps = math.ceil((at - origin) / step)
    return origin + steps * step
