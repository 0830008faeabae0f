"""Which stored events a replay keeps: a time window and a set of CloudEvents types (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from shared.events.catalogue import SPECS
from shared.events.envelope import StoredEvent
from shared.riga import RIGA

TimeField = Literal["time", "recordedtime"]

_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(?:(:\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})")


def parse_instant(text: str) -> datetime:
    """An RFC 3339 timestamp with its offset (`2020-01-14T10:00:00+02:00`, `...Z`) as an aware datetime."""
    match = _RFC3339.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not an RFC 3339 timestamp with an offset: {text!r}")
    date, minutes, seconds, fraction, offset = match.groups()
    fraction = (fraction or "")[:7]  # datetime keeps microseconds; RFC 3339 allows more digits
    offset = "+00:00" if offset in ("Z", "z") else offset
    return datetime.fromisoformat(f"{date}T{minutes}{seconds or ''}{fraction}{offset}")


# Days and times a read may name: wide enough for any record, narrow enough that a bound moved
# by an offset or a day stays a date Python and PostgreSQL can hold (0001-01-01+14:00 is not).
YEARS = range(1900, 2101)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_bound(text: str, *, upper: bool) -> datetime:
    """One end of a time window, as both the HTTP replay and `tilts audit replay` read it.

    A Riga day (`2020-01-14`, the whole day included) or an RFC 3339 time with its offset. A
    lower bound is inclusive; an upper bound includes its time (or day) and comes back as the
    exclusive instant just after it, which is what `EventFilter` takes. ValueError if unreadable.
    """
    text = text.strip()
    if _DAY.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
        if day is None or day.year not in YEARS:
            raise ValueError(f"not a date in {YEARS.start}-{YEARS.stop - 1}: {text!r}")
        start = datetime.combine(day, datetime.min.time(), RIGA)
        return start + timedelta(days=1) if upper else start
    try:
        moment = parse_instant(text)
    except ValueError:
        moment = None
    if moment is None or moment.year not in YEARS:
        raise ValueError(f"not a date (YYYY-MM-DD) or an RFC 3339 time with an offset in "
                         f"{YEARS.start}-{YEARS.stop - 1}: {text!r}")
    return moment + timedelta(microseconds=1) if upper else moment


def unknown_types(types: Iterable[str]) -> list[str]:
    """Those of `types` that are not in the event catalogue: a typo would replay nothing."""
    return sorted(t for t in set(types) if t not in SPECS)


@dataclass(frozen=True)
class EventFilter:
    """Keeps events whose time is in [from_time, to_time) and whose type is one of `types`.

    Times compare as instants, whatever offset each was written with. An event whose time
    cannot be read is outside every window (but kept when no window is asked for).
    """

    from_time: datetime | None = None
    to_time: datetime | None = None
    types: frozenset[str] | None = None
    time_field: TimeField = "time"

    def __post_init__(self) -> None:
        for bound in (self.from_time, self.to_time):
            if bound is not None and bound.utcoffset() is None:
                raise ValueError("time bounds must carry a UTC offset")

    def matches(self, event: StoredEvent) -> bool:
        """Whether a replay keeps this event."""
        if self.types is not None and event.type not in self.types:
            return False
        if self.from_time is None and self.to_time is None:
            return True
        try:
            instant = parse_instant(getattr(event, self.time_field))
        except ValueError:
            return False
        return ((self.from_time is None or instant >= self.from_time)
                and (self.to_time is None or instant < self.to_time))
