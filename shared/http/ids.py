"""Ids in URLs: checked like the catalogue's ids (`[A-Za-z0-9._:-]{1,64}`) before anything looks
them up, so a NUL byte, a Cyrillic look-alike or a 5,000-character segment is a 422 problem that
never reaches a query, and the OpenAPI document says what an id looks like."""

from __future__ import annotations

from typing import Any

from fastapi import Path, Query

from shared.events.fields import ID_JSON_PATTERN


def id_in_path(what: str) -> Any:
    """A path parameter naming one `what` by its id."""
    return Path(pattern=ID_JSON_PATTERN, description=f"The {what}'s id")


def id_in_query(what: str) -> Any:
    """An optional query parameter filtering by a `what`'s id."""
    return Query(None, pattern=ID_JSON_PATTERN, description=f"Only this {what}'s")
