"""Keyset pagination with opaque cursors.

A cursor holds the sort key of the last item and the `as_of_sequence` of the first page, so
every page of one listing is read as of the same point in the log: nothing shifts between
pages even while events keep arriving.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import BadQuery

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class PageRequest:
    """How many items, and after which key (None: from the start)."""

    limit: int = DEFAULT_LIMIT
    after: tuple[Any, ...] | None = None
    as_of: int | None = None


def encode_cursor(after: Sequence[Any], as_of: int) -> str:
    """An opaque cursor for the page after `after`."""
    raw = json.dumps({"k": list(after), "a": as_of}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> tuple[tuple[Any, ...], int]:
    """(key, as_of) of a cursor; BadQuery if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
        keys, as_of = value["k"], value["a"]
        if not isinstance(keys, list) or not isinstance(as_of, int) or isinstance(as_of, bool) or as_of < 0:
            raise ValueError
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise BadQuery("cursor", "not a cursor this service gave out") from None
    return tuple(keys), as_of


def page_request(limit: int | None, cursor: str | None) -> PageRequest:
    """A page request from the query's `limit` and `cursor`."""
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery("limit", f"must be 1 to {MAX_LIMIT}")
    if cursor is None:
        return PageRequest(limit)
    after, as_of = decode_cursor(cursor)
    return PageRequest(limit, after, as_of)


def cursor_key(request: PageRequest, *parts: Callable[[Any], Any]) -> tuple[Any, ...] | None:
    """The cursor's key converted part by part (e.g. `int`); BadQuery if it does not fit."""
    if request.after is None:
        return None
    try:
        if len(request.after) != len(parts):
            raise ValueError
        return tuple(convert(value) for convert, value in zip(parts, request.after, strict=True))
    except (TypeError, ValueError):
        raise BadQuery("cursor", "not a cursor for this listing") from None


def page(rows: Sequence[Any], request: PageRequest, as_of: int, key: Callable[[Any], Sequence[Any]],
         item: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """The list answer from up to `limit + 1` rows (the extra one says whether a next page exists)."""
    shown = rows[:request.limit]
    more = len(rows) > request.limit
    return {"items": [item(row) for row in shown], "as_of_sequence": as_of,
            "next": encode_cursor(key(shown[-1]), as_of) if more and shown else None}
