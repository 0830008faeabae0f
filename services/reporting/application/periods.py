"""Report periods: inclusive calendar days in Europe/Riga."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.riga import RIGA, in_riga



@dataclass(frozen=True)
class Period:
    """From the first to the last day, both included."""

    first_day: date
    last_day: date

    @classmethod
    def of_month(cls, month: str) -> Period:
        """The period of a `YYYY-MM` month."""
        year, number = (int(part) for part in month.split("-"))
        return cls(date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1]))

    def whole_months(self) -> tuple[list[date], list[Period]]:
        """The calendar months wholly inside the period (their first days), and the stretches
        of days outside them (at most one at each end)."""
        months: list[date] = []
        edges: list[Period] = []
        month = self.first_day.replace(day=1)
        while month <= self.last_day:
            last = Period.of_month(f"{month:%Y-%m}").last_day
            if self.first_day <= month and last <= self.last_day:
                months.append(month)
            else:
                edges.append(Period(max(month, self.first_day), min(last, self.last_day)))
            month = last + timedelta(days=1)
        return months, edges

    def starts(self) -> datetime:
        """The first instant of the period in Riga."""
        return datetime.combine(self.first_day, time(), RIGA)

    def ends(self) -> datetime:
        """The first instant after the period in Riga (midnight after the last day)."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), RIGA)


def riga_text(moment: datetime | None) -> str | None:
    """RFC 3339 text of an instant in Riga time (one form, so reports serialise the same every time)."""
    return None if moment is None else in_riga(moment).isoformat()
