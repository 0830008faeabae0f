"""Europe/Riga: the calendar that reports count in, that checks on months use, and that messages
to institutions show (contract: "by event time in Europe/Riga")."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

RIGA = ZoneInfo("Europe/Riga")


def riga_date(moment: datetime) -> date:
    """The calendar day in Riga of an aware time."""
    return moment.astimezone(RIGA).date()


def riga_month(moment: datetime) -> str:
    """The calendar month in Riga of an aware time, as `YYYY-MM`."""
    return f"{moment.astimezone(RIGA):%Y-%m}"
