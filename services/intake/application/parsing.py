"""From a posted JSON value to a validated event, or a 422 that names every bad field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from shared.events import catalogue
from shared.events.base import EventData
from shared.events.envelope import PostedEvent, is_too_far_in_future
from shared.http.problems import plain_message
from services.intake.domain.rejections import Rejection


def _field_path(prefix: str, location: tuple[Any, ...]) -> str:
    return ".".join([prefix, *map(str, location)]) if prefix else ".".join(map(str, location))


def _errors_of(error: ValidationError, prefix: str = "") -> tuple[tuple[str, str], ...]:
    # include_input=False: the input may hold personal data, which must never be echoed or logged.
    errors = error.errors(include_url=False, include_input=False, include_context=False)
    # A list whose only item is bad is also "too short" once the item is dropped: say only the item.
    inner = {e["loc"][:-1] for e in errors if e["loc"]}
    return tuple((_field_path(prefix, e["loc"]) or prefix or "body", plain_message(e["msg"])) for e in errors
                 if not (e["type"] == "too_short" and e["loc"] in inner))




def schema_violation(errors: tuple[tuple[str, str], ...], detail: str | None = None) -> Rejection:
    return Rejection(422, "validation", "Invalid event",
                     detail or f"{len(errors)} field(s) do not match the event schema", errors=errors)


def parse_event(raw: Any, now: datetime | None = None) -> tuple[PostedEvent, EventData] | Rejection:
    """Validate the envelope and the data against its type's schema; one 422 names every bad field.

    The data is checked even when the envelope is wrong, as long as the type is known, so a
    client learns of all its mistakes at once.
    """
    if not isinstance(raw, dict):
        return schema_violation((("body", "an event must be a JSON object"),))
    errors: list[tuple[str, str]] = []
    posted: PostedEvent | None = None
    try:
        posted = PostedEvent.model_validate(raw)
    except ValidationError as error:
        errors += _errors_of(error)
    event_type = raw.get("type")
    spec = catalogue.spec_for(event_type) if isinstance(event_type, str) else None
    if spec is None and not any(field == "type" for field, _ in errors):
        errors.append(("type", f"unknown event type {event_type!r}"))
    if posted is not None and is_too_far_in_future(posted.time, now):
        errors.append(("time", "more than 5 minutes in the future"))
    data: EventData | None = None
    if spec is not None and isinstance(raw.get("data"), dict):
        try:
            data = spec.data_model.model_validate(raw["data"])
        except ValidationError as error:
            errors += _errors_of(error, "data")
    if posted is not None and data is not None:
        errors += [(f"data.{field}", message) for field, message in data.errors_at(posted.time)]
    if errors or posted is None or data is None:
        return schema_violation(tuple(errors))
    return posted, data
