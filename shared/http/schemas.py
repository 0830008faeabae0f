"""Building blocks for the JSON Schemas of what the services answer (their OpenAPI documents).

Objects stay open (`additionalProperties` is not closed): the contract grows by adding fields.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer", "minimum": 0}
BOOLEAN: Schema = {"type": "boolean"}
DAY: Schema = {"type": "string", "format": "date"}
TIME: Schema = {"type": "string", "format": "date-time"}
SEQUENCE: Schema = {"type": "integer", "minimum": 0, "description": "A position in the event log"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def strings() -> Schema:
    return {"type": "array", "items": STRING}


def obj(fields: dict[str, Schema], *, optional: dict[str, Schema] | None = None, description: str = "") -> Schema:
    """An object with these fields always present (and `optional` ones sometimes)."""
    schema: Schema = {"type": "object", "required": sorted(fields), "properties": {**fields, **(optional or {})}}
    if description:
        schema["description"] = description
    return schema


def listing(item: Schema, *, as_of: bool = True) -> Schema:
    """A page of a list: its items, the cursor of the next page (and the log position it is as of)."""
    fields = {"items": {"type": "array", "items": item},
              "next": nullable({"type": "string", "description": "The cursor of the next page"})}
    return obj({**fields, "as_of_sequence": SEQUENCE} if as_of else fields)


def json_answer(schema: Schema, description: str = "The answer", status: int = 200) -> dict[int, Any]:
    return {status: {"description": description, "content": {"application/json": {"schema": schema}}}}
