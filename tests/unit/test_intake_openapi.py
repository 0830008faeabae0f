"""The intake's OpenAPI document carries the event catalogue: a schema per type that the
catalogue's own example events satisfy, and that refuses what the models refuse."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from examples import EXAMPLES
from services.intake.entrypoints.openapi import event_body_schema, event_schemas
from shared.events.catalogue import SPECS

DOCUMENT = {**event_body_schema(), "components": {"schemas": event_schemas()}}
VALIDATOR = jsonschema_rs.validator_for(DOCUMENT)


def envelope(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"specversion": "1.0", "id": "7f1c2e9a-4b9e-4f7a-9a51-0c5d2f7f2a10", "source": "mediator-app/phone-17",
            "type": event_type, "time": "2020-01-14T10:00:00+02:00", "data": data}


def test_every_catalogue_type_is_documented() -> None:
    assert set(event_body_schema()["discriminator"]["mapping"]) == set(SPECS)


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_each_example_event_matches_its_documented_schema(event_type: str) -> None:
    assert VALIDATOR.is_valid(envelope(event_type, dict(EXAMPLES[event_type])))


@pytest.mark.parametrize("change", [
    {"domain": "sport"}, {"activity_id": "a b"}, {"unknown_field": 1}, {"kind": None},
], ids=["bad-enum", "bad-id", "extra-field", "null-required"])
def test_a_bad_data_field_is_refused_by_the_schema_too(change: dict[str, Any]) -> None:
    data = {**EXAMPLES["tilts.activity.recorded"], **change}
    assert not VALIDATOR.is_valid(envelope("tilts.activity.recorded", data))


def test_an_unknown_type_or_data_of_another_type_is_refused() -> None:
    assert not VALIDATOR.is_valid(envelope("tilts.family.adopted", {}))
    assert not VALIDATOR.is_valid(envelope("tilts.case.closed", dict(EXAMPLES["tilts.activity.recorded"])))
