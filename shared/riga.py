"""Europe/Riga: the calendar that reports count in, that checks on months use, and that messages
to institutions show (contract: "by event time in Europe/Riga")."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

RIGA = ZoneInfo("Europe/Riga")


def in_riga(moment: datetime) -> datetime:
    """An aware time in Riga; at the very edges of what a datetime holds (year 1, year 9999),
    where the conversion overflows, the time as written (no report counts such times, but the
    log may hold one: reading it must not fail)."""
    try:
        return moment.astimezone(RIGA)
    except (OverflowError, ValueError):
        return moment


def riga_date(moment: datetime) -> date:
    """The calendar day in Riga of an aware time."""
    return in_riga(moment).date()


def riga_month(moment: datetime) -> str:
    """The calendar month in Riga of an aware time, as `YYYY-MM`."""
    return f"{in_riga(moment):%Y-%m}"
