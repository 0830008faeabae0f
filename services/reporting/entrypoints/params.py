"""Query parameters: parsed strictly, and a 400 naming the parameter when a value is bad."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from shared.audit.filters import YEARS, parse_bound
from services.reporting.application.errors import BadQuery
from services.reporting.application.periods import Period

_ID = re.compile(r"\A[A-Za-z0-9._:-]{1,64}\Z")
_MONTH = re.compile(r"\A(\d{4})-(0[1-9]|1[0-2])\Z")
_DAY = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
MAX_REASON = 500


def required(name: str, value: str | None) -> str:
    """A parameter that must be given."""
    if value is None or not value:
        raise BadQuery(name, "is required")
    return value


def identifier(name: str, value: str | None) -> str | None:
    """An id parameter (`[A-Za-z0-9._:-]{1,64}`), or None when absent."""
    if value is None:
        return None
    if not _ID.match(value):
        raise BadQuery(name, "must be 1 to 64 characters from A-Z, a-z, 0-9 and . _ : -")
    return value


def sequence(name: str, value: str | None) -> int | None:
    """A stream sequence (a non-negative integer), or None."""
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise BadQuery(name, "must be a non-negative integer")
    return int(value)


def limit(value: str | None) -> int | None:
    """A page size, or None for the default."""
    number = sequence("limit", value)
    return number


def choice(name: str, value: str | None, options: tuple[str, ...], default: str | None = None) -> str | None:
    """One of the allowed words."""
    if value is None:
        return default
    if value not in options:
        raise BadQuery(name, f"must be one of {', '.join(options)}")
    return value


def day(name: str, value: str | None) -> date | None:
    """A calendar day as YYYY-MM-DD."""
    if value is None:
        return None
    try:
        if not _DAY.match(value) or (found := date.fromisoformat(value)).year not in YEARS:
            raise ValueError
        return found
    except ValueError:
        raise BadQuery(name, f"must be a date, YYYY-MM-DD, in {YEARS.start}-{YEARS.stop - 1}") from None


def month(value: str | None) -> str:
    """A month as YYYY-MM (required)."""
    if value is None:
        raise BadQuery("month", "is required, YYYY-MM")
    match = _MONTH.match(value)
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise BadQuery("month", "must be YYYY-MM with a year 2000-2100")
    return value


def period(first: str | None, last: str | None) -> Period:
    """A report period from `from` and `to` (both required, inclusive)."""
    first_day, last_day = day("from", first), day("to", last)
    if first_day is None:
        raise BadQuery("from", "is required, YYYY-MM-DD")
    if last_day is None:
        raise BadQuery("to", "is required, YYYY-MM-DD")
    if last_day < first_day:
        raise BadQuery("to", "must not be before from")
    return Period(first_day, last_day)


def bound(name: str, value: str | None, *, upper: bool) -> datetime | None:
    """A time bound from a Riga day (YYYY-MM-DD, whole day included) or an RFC 3339 time.

    Lower bounds are inclusive; an upper bound comes back exclusive (the instant after it).
    The same reading as `tilts audit replay` (shared/audit/filters.py).
    """
    if value is None:
        return None
    try:
        return parse_bound(value, upper=upper)
    except ValueError:
        raise BadQuery(name, f"must be a date (YYYY-MM-DD) or an RFC 3339 time with an offset, in "
                             f"{YEARS.start}-{YEARS.stop - 1}") from None


def reason(value: str | None) -> str | None:
    """Why an auditor reads personal data: one line of at most 500 characters.

    A reason that says nothing (blank, invisible format characters such as a zero-width space,
    or only punctuation) is no reason: the personal data stays withheld.
    """
    if value is None:
        return None
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Cf").strip()
    if not any(ch.isalnum() for ch in value):
        return None
    if len(value) > MAX_REASON or any(ch in value for ch in "\r\n\x00"):
        raise BadQuery("reason", f"must be one line of at most {MAX_REASON} characters")
    return value
