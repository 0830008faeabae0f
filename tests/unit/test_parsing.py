"""From a posted JSON value to (envelope, data), or a 422 Rejection naming every bad field and
never echoing what was posted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from examples import EXAMPLES
from services.intake.application.parsing import parse_event
from services.intake.domain.rejections import Rejection
from shared.events import ActivityRecorded, FamilyRegistered
from shared.events.envelope import PostedEvent

NOW = datetime(2020, 1, 14, 12, 0, tzinfo=UTC)
SURNAME = "Zvirbulēviča-Kalniņa"


def envelope(event_type: str = "tilts.activity.recorded", data: Any = None, **changes: Any) -> dict:
    body = {"specversion": "1.0", "id": "7f1c2e9a-4b9e-4f7a-9a51-0c5d2f7f2a10",
            "source": "mediator-app/phone-17", "type": event_type,
            "time": "2020-01-14T10:00:00+02:00",
            "data": dict(EXAMPLES[event_type]) if data is None else data}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def rejected(raw: Any, now: datetime = NOW) -> Rejection:
    result = parse_event(raw, now=now)
    assert isinstance(result, Rejection), result
    assert (result.status, result.kind) == (422, "validation")
    assert result.errors, result
    return result


def fields(rejection: Rejection) -> set[str]:
    return {field for field, _ in rejection.errors}


# --- accepted --------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_every_example_event_parses_into_its_envelope_and_data_model(event_type: str) -> None:
    posted, data = parse_event(envelope(event_type), now=NOW)
    assert isinstance(posted, PostedEvent) and posted.type == event_type
    assert data.TYPE == event_type


def test_an_activity_keeps_the_field_time_with_its_offset() -> None:
    posted, data = parse_event(envelope(expectedversion=3, correlationid="sync-1"), now=NOW)
    assert isinstance(data, ActivityRecorded)
    assert posted.time.utcoffset() == timedelta(hours=2)
    assert (posted.expectedversion, posted.correlationid) == (3, "sync-1")


def test_a_time_weeks_ago_is_fine() -> None:
    assert not isinstance(parse_event(envelope(time="2019-11-02T09:00:00+02:00"), now=NOW), Rejection)


def test_a_time_up_to_5_minutes_ahead_is_fine() -> None:
    ahead = (NOW + timedelta(minutes=4, seconds=59)).isoformat()
    assert not isinstance(parse_event(envelope(time=ahead), now=NOW), Rejection)


# --- rejected: each bad field is named -------------------------------------------------------


def test_when_data_has_a_bad_enum_and_an_extra_field_then_both_are_named() -> None:
    data = {**EXAMPLES["tilts.activity.recorded"], "kind": "dancing", "extra": 1}
    assert fields(rejected(envelope(data=data))) == {"data.kind", "data.extra"}


def test_a_list_sent_as_a_string_is_called_a_list_not_a_python_tuple() -> None:
    data = {**EXAMPLES["tilts.mediator.registered"], "municipality_ids": "jelgava"}
    [(field, message)] = rejected(envelope("tilts.mediator.registered", data)).errors
    assert field == "data.municipality_ids" and "list" in message and "uple" not in message


def test_when_the_envelope_is_wrong_everywhere_then_each_attribute_is_named() -> None:
    raw = envelope(specversion="0.3", id="not an id", type="", time="2020-01-14T10:00:00")
    assert fields(rejected(raw)) == {"specversion", "id", "type", "time"}


def test_when_both_the_envelope_and_the_data_are_wrong_then_every_bad_field_is_named() -> None:
    data = {**EXAMPLES["tilts.activity.recorded"], "activity_id": "a b", "domain": "sport"}
    raw = envelope(data=data, id="bad id", source="", extra=1)
    assert fields(rejected(raw)) == {"id", "source", "extra", "data.activity_id", "data.domain"}


def test_when_the_time_is_in_the_future_and_the_data_is_wrong_then_both_are_named() -> None:
    ahead = (NOW + timedelta(hours=1)).isoformat()
    data = {**EXAMPLES["tilts.activity.recorded"], "kind": "dancing"}
    assert fields(rejected(envelope(data=data, time=ahead))) == {"time", "data.kind"}


def test_when_a_report_is_for_a_month_that_has_not_begun_by_the_events_time_then_month_is_named() -> None:
    report = EXAMPLES["tilts.report.submitted"]  # the event's time is 2020-01-14
    assert fields(rejected(envelope("tilts.report.submitted", {**report, "month": "2020-02"}))) == {"data.month"}
    for month in ("2020-01", "2019-12"):
        assert not isinstance(parse_event(envelope("tilts.report.submitted", {**report, "month": month}),
                                          now=NOW), Rejection)


def test_a_reports_month_is_judged_by_the_riga_calendar_however_the_time_is_written() -> None:
    # 31 March 23:30 UTC is already 1 April in Riga; 1 April 00:30+05:00 is still 31 March there.
    report = {**EXAMPLES["tilts.report.submitted"], "month": "2020-04"}
    now = datetime(2020, 4, 2, tzinfo=UTC)
    for time in ("2020-03-31T23:30:00Z", "2020-04-01T02:30:00+03:00"):
        assert not isinstance(parse_event(envelope("tilts.report.submitted", report, time=time), now=now), Rejection)
    rejection = parse_event(envelope("tilts.report.submitted", report, time="2020-04-01T00:30:00+05:00"), now=now)
    assert isinstance(rejection, Rejection) and fields(rejection) == {"data.month"}


@pytest.mark.parametrize("time", ["0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
                                  "1999-12-31T21:59:59Z", "1999-12-31T23:59:59+02:00"])
def test_a_time_before_2000_in_riga_is_named(time: str) -> None:
    assert fields(rejected(envelope(time=time))) == {"time"}
    for riga_new_year in ("2000-01-01T00:00:00+02:00", "1999-12-31T22:00:00Z"):
        assert not isinstance(parse_event(envelope(time=riga_new_year), now=NOW), Rejection)


@pytest.mark.parametrize("time", ["9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-14:00"])
def test_a_report_at_the_end_of_time_is_a_422_for_its_time_not_a_crash(time: str) -> None:
    report = EXAMPLES["tilts.report.submitted"]
    assert "time" in fields(rejected(envelope("tilts.report.submitted", report, time=time)))


@pytest.mark.parametrize("missing", ["specversion", "id", "source", "type", "time", "data"])
def test_when_a_required_attribute_is_missing_then_it_is_named(missing: str) -> None:
    assert fields(rejected(envelope(**{missing: ...}))) == {missing}


def test_when_the_type_is_unknown_then_type_is_named() -> None:
    rejection = rejected(envelope(type="tilts.family.adopted", data={}))
    assert fields(rejection) == {"type"}


def test_when_the_time_is_more_than_5_minutes_in_the_future_then_time_is_named() -> None:
    ahead = (NOW + timedelta(minutes=5, seconds=1)).isoformat()
    assert fields(rejected(envelope(time=ahead))) == {"time"}


def test_when_the_future_is_given_in_another_offset_then_it_is_compared_in_absolute_time() -> None:
    # 14:06+02:00 is 12:06 UTC: six minutes ahead of NOW.
    assert fields(rejected(envelope(time="2020-01-14T14:06:00+02:00"))) == {"time"}
    assert not isinstance(parse_event(envelope(time="2020-01-14T14:04:00+02:00"), now=NOW), Rejection)


@pytest.mark.parametrize("time", ["2020-01-14T10:00:00", "2020-01-14", "yesterday", "", True])
def test_when_the_time_has_no_offset_or_is_not_a_time_then_time_is_named(time: Any) -> None:
    assert fields(rejected(envelope(time=time))) == {"time"}


@pytest.mark.parametrize("time", [1579000000, "1579000000", 1579000000.5],
                         ids=["integer", "numeric-string", "float"])
def test_when_the_time_is_a_unix_timestamp_rather_than_rfc3339_text_then_time_is_named(time: Any) -> None:
    # CloudEvents 1.0 `time` is an RFC 3339 timestamp; IsoDate already refuses lax pydantic's
    # Unix-timestamp reading for dates, the envelope's time should too.
    assert fields(rejected(envelope(time=time))) == {"time"}


def test_when_the_envelope_has_an_unknown_attribute_then_it_is_named() -> None:
    assert fields(rejected(envelope(actor="admin-1"))) == {"actor"}


@pytest.mark.parametrize("body", [[], "event", 42, None, True],
                         ids=["list", "string", "number", "null", "bool"])
def test_when_the_body_is_not_an_object_then_422_for_the_body(body: Any) -> None:
    assert fields(rejected(body)) == {"body"}


@pytest.mark.parametrize("data", [[], "x", None], ids=["list", "string", "null"])
def test_when_data_is_not_an_object_then_data_is_named(data: Any) -> None:
    raw = envelope()
    raw["data"] = data
    assert fields(rejected(raw)) == {"data"}


@pytest.mark.parametrize("version", [-1, "3", 1.5])
def test_when_expectedversion_is_not_a_non_negative_integer_then_it_is_named(version: Any) -> None:
    assert fields(rejected(envelope(expectedversion=version))) == {"expectedversion"}


def test_nested_errors_are_named_by_their_full_path() -> None:
    data = {**EXAMPLES["tilts.activity.recorded"], "person_ids": ["per-1", "bad id"]}
    assert fields(rejected(envelope(data=data))) == {"data.person_ids.1"}


def test_a_list_whose_only_item_is_bad_is_named_by_the_item_alone() -> None:
    data = {**EXAMPLES["tilts.mediator.registered"], "municipality_ids": ["not an id"]}
    assert fields(rejected(envelope("tilts.mediator.registered", data=data))) == {"data.municipality_ids.0"}
    empty = {**EXAMPLES["tilts.mediator.registered"], "municipality_ids": []}
    assert fields(rejected(envelope("tilts.mediator.registered", data=empty))) == {"data.municipality_ids"}


def test_messages_read_as_sentences_without_the_validators_prefix() -> None:
    rejection = rejected(envelope(time="yesterday"))
    assert rejection.errors[0][1].startswith("time must be RFC 3339 text")


def test_the_detail_counts_the_bad_fields() -> None:
    data = {**EXAMPLES["tilts.activity.recorded"], "kind": "dancing", "extra": 1}
    assert rejected(envelope(data=data)).detail.startswith("2 field(s)")


# --- rejected: nothing posted is echoed -------------------------------------------------------


def _everything_in(rejection: Rejection) -> str:
    return " ".join([rejection.title, rejection.detail, str(rejection.field),
                     *(f"{field} {message}" for field, message in rejection.errors)])


def test_when_a_personal_phone_is_invalid_then_the_error_names_the_field_but_not_the_family() -> None:
    data = {**EXAMPLES["tilts.family.registered"],
            "personal": {"surname": SURNAME, "address": f"{SURNAME} iela 1", "phone": f"{SURNAME} 20 000"}}
    rejection = rejected(envelope("tilts.family.registered", data=data))
    assert fields(rejection) == {"data.personal.phone"}
    assert SURNAME not in _everything_in(rejection) and SURNAME not in repr(rejection)
    assert "Zvirbul" not in repr(rejection)


@pytest.mark.parametrize("personal", [
    {"given_name": f"{SURNAME}\x00", "surname": SURNAME},
    {"surname": SURNAME * 20},
    {"personal_code": f"{SURNAME}-12345"},
    {"surname": 1, "given_name": [SURNAME]},
], ids=["control-character", "too-long", "personal-code", "wrong-types"])
def test_when_a_persons_personal_block_is_invalid_then_nothing_of_it_is_echoed(personal: dict) -> None:
    data = {**EXAMPLES["tilts.person.added"], "personal": personal}
    rejection = rejected(envelope("tilts.person.added", data=data))
    assert all(field.startswith("data.personal") for field in fields(rejection))
    assert "Zvirbul" not in repr(rejection)


@pytest.mark.parametrize("changes", [
    {"birth_year": SURNAME}, {"relation": SURNAME}, {"person_id": SURNAME}, {"family_id": SURNAME},
], ids=["birth_year", "relation", "person_id", "family_id"])
def test_when_other_fields_carry_personal_text_then_it_is_not_echoed(changes: dict) -> None:
    data = {**EXAMPLES["tilts.person.added"], **changes}
    rejection = rejected(envelope("tilts.person.added", data=data))
    assert fields(rejection) == {f"data.{next(iter(changes))}"}
    assert "Zvirbul" not in repr(rejection)


def test_when_consent_is_malformed_then_nothing_of_it_is_echoed() -> None:
    data = {**EXAMPLES["tilts.family.registered"], "consent": {"given_on": SURNAME, "scope": SURNAME}}
    rejection = rejected(envelope("tilts.family.registered", data=data))
    assert fields(rejection) == {"data.consent.given_on"}
    assert "Zvirbul" not in repr(rejection)


def test_when_the_envelope_carries_personal_text_then_it_is_not_echoed() -> None:
    rejection = rejected(envelope(id=SURNAME, source=f"{SURNAME} phone", time=SURNAME))
    assert fields(rejection) == {"id", "source", "time"}
    assert "Zvirbul" not in repr(rejection)


def test_a_valid_personal_block_parses_into_the_posted_model() -> None:
    posted, data = parse_event(envelope("tilts.family.registered"), now=NOW)
    assert isinstance(data, FamilyRegistered) and data.personal.surname == "Ozoliņi"
