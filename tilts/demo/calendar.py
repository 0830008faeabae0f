"""Working days and office-hour times of the season, in Europe/Riga local time."""

from __future__ import annotations

import bisect
import random
from datetime import date, datetime, timedelta

from shared.riga import RIGA

__all__ = ["COVID_EMERGENCY", "RIGA", "SEASON_END", "SEASON_START", "Agenda", "WorkCalendar",
           "month_of", "riga_time"]

SEASON_START = date(2019, 9, 1)
SEASON_END = date(2020, 4, 30)
COVID_EMERGENCY = date(2020, 3, 13)  # the emergency situation: schools closed, remote learning

# Latvian public holidays falling on weekdays in the season.
_HOLIDAYS = frozenset({
    date(2019, 11, 18), date(2019, 12, 24), date(2019, 12, 25), date(2019, 12, 26),
    date(2019, 12, 31), date(2020, 1, 1), date(2020, 4, 10), date(2020, 4, 13),
})

_DAY_STARTS = 8 * 60 + 30   # office opens at 08:30
_LATE = 16 * 60 + 30        # after 16:30 work is squeezed into short slots


def riga_time(day: date, minute: int, second: int = 0) -> str:
    """RFC 3339 text of a time of day on `day`, with the Riga offset of that date."""
    total = minute * 60 + second
    local = datetime(day.year, day.month, day.day, total // 3600, total // 60 % 60, total % 60,
                     tzinfo=RIGA)
    return local.isoformat(timespec="seconds")


def month_of(day: date) -> str:
    """`YYYY-MM` of a date."""
    return f"{day.year:04d}-{day.month:02d}"


class WorkCalendar:
    """The season's working days (weekdays that are not public holidays)."""

    def __init__(self, start: date = SEASON_START, end: date = SEASON_END) -> None:
        days = (start + timedelta(n) for n in range((end - start).days + 1))
        self.days: list[date] = [d for d in days if d.weekday() < 5 and d not in _HOLIDAYS]

    @property
    def first(self) -> date:
        """The first working day."""
        return self.days[0]

    @property
    def last(self) -> date:
        """The last working day."""
        return self.days[-1]

    def index(self, day: date) -> int:
        """Position of a working day (or of the next working day) in the season."""
        return bisect.bisect_left(self.days, day)

    def add(self, day: date, working_days: int) -> date | None:
        """The working day `working_days` after `day`, or None past the season's end."""
        position = self.index(day) + working_days
        return self.days[position] if 0 <= position < len(self.days) else None

    def between(self, first: date, last: date) -> list[date]:
        """Working days from `first` to `last`, inclusive."""
        return self.days[self.index(first):bisect.bisect_right(self.days, last)]

    def of_month(self, month: str) -> list[date]:
        """Working days of a `YYYY-MM` month."""
        return [d for d in self.days if month_of(d) == month]

    def months(self) -> list[str]:
        """The season's months, in order."""
        return list(dict.fromkeys(month_of(d) for d in self.days))


class Agenda:
    """One actor's diary: every booking on a day comes after the previous one."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._next: dict[date, int] = {}

    def book(self, day: date, minutes: int) -> str:
        """Reserve `minutes` on `day`; the start time of the booking."""
        start = self._next.get(day)
        if start is None:
            start = _DAY_STARTS + self._rng.randrange(0, 75, 5)
        if start < _LATE:
            self._next[day] = start + minutes + self._rng.choice((5, 10, 15, 20))
        else:
            self._next[day] = start + 2
        return riga_time(day, start)
