"""Query parameters: parsed strictly, and a 422 naming the parameter when a value is bad."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from shared.audit.filters import YEARS, parse_bound
from services.reporting.application.errors import BadQuery
from services.reporting.application.periods import Period

# The documented shapes of the query parameters (the OpenAPI carries them, FastAPI checks them);
# what a pattern cannot say (a real date, an order, a reason that says something) is checked here.
ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
MONTH_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"
DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
BOUND_PATTERN = (r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}"
                 r"([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?\s*$")
MAX_SEQUENCE = 10**18 - 1
MAX_REASON = 500
_DAY = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")


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


def window(first: str | None, last: str | None, *, names: tuple[str, str] = ("from", "to")
           ) -> dict[str, datetime | None]:
    """`since` and `before` (exclusive) from the `from` and `to` bounds (their query parameters
    are `names`); `to` may not be before `from`."""
    since, before = bound(names[0], first, upper=False), bound(names[1], last, upper=True)
    if since is not None and before is not None and before <= since:
        raise BadQuery(names[1], f"must not be before {names[0]}")
    return {"since": since, "before": before}


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
