"""The event catalogue in the intake's OpenAPI document: one schema per event type.

A client developer reads there what each type's `data` holds (ids, enumerations, lengths), as
the catalogue's own pydantic models say, not a hand-kept copy. `POST /v1/events` takes one of
them, told apart by `type`; the checks a schema cannot say (state, scope, NFC text, a time not
in the future) still answer 409/403/422.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from shared.events.catalogue import SPECS
from shared.events.envelope import PostedEvent
from shared.http.openapi import amend_openapi

REF = "#/components/schemas/{model}"


def _envelope() -> dict[str, Any]:
    """The envelope as PostedEvent validates it (one definition), saying what its schema cannot."""
    envelope = PostedEvent.model_json_schema(ref_template=REF)
    properties = envelope["properties"]
    properties["time"]["description"] = "When it happened in the field (RFC 3339 with offset; from 2000-01-01, not over 5 minutes ahead)"
    properties["expectedversion"]["description"] = "The aggregate version the client saw; a mismatch is a 409"
    return envelope


def _name(event_type: str) -> str:
    return SPECS[event_type].data_model.__name__


def event_schemas() -> dict[str, Any]:
    """Component schemas: each type's envelope and data, and the parts they share."""
    components: dict[str, Any] = {}
    envelope = _envelope()
    for event_type, spec in sorted(SPECS.items()):
        data = spec.data_model.model_json_schema(ref_template=REF)
        components.update(data.pop("$defs", {}))
        name = _name(event_type)
        components[name] = data
        components[f"{name}Event"] = {
            **envelope, "title": f"{event_type} event",
            "description": f"{data.get('description', '')} Who may post it: {', '.join(sorted(spec.roles))}.",
            "properties": {**envelope["properties"], "type": {"const": event_type},
                           "data": {"$ref": REF.format(model=name)}}}
    return components


def event_body_schema() -> dict[str, Any]:
    """One event of any type, told apart by `type` (its parts are in `event_schemas`)."""
    mapping = {event_type: REF.format(model=f"{_name(event_type)}Event") for event_type in sorted(SPECS)}
    return {"oneOf": [{"$ref": ref} for ref in mapping.values()],
            "discriminator": {"propertyName": "type", "mapping": mapping}}


def document_events(app: FastAPI) -> None:
    """Add the catalogue's schemas to the app's OpenAPI document."""
    components = event_schemas()
    amend_openapi(app, lambda document: document.setdefault("components", {}).setdefault("schemas", {})
                  .update(components))
