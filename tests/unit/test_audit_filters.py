"""Replay filters: RFC 3339 bounds compared as instants, a half-open time window, CloudEvents types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.audit.filters import EventFilter, parse_instant
from shared.events.envelope import GENESIS_HASH, StoredEvent

RIGA_WINTER = timezone(timedelta(hours=2))


def stored(time: str, type_: str = "tilts.activity.recorded",
           recordedtime: str = "2020-03-01T00:00:00Z") -> StoredEvent:
    event, _ = StoredEvent.chain(
        id="ev-1", source="tests", type=type_, time=time, subject="case/c-1", recordedtime=recordedtime,
        actor="med-1", actorrole="mediator", municipalityid="jelgava", aggregatetype="case", aggregateid="c-1",
        version=1, schemaversion=1, fingerprint="f" * 64, prevhash=GENESIS_HASH, data={})
    return event


@pytest.mark.parametrize(("text", "expected"), [
    ("2020-01-14T10:00:00+02:00", datetime(2020, 1, 14, 10, tzinfo=RIGA_WINTER)),
    ("2020-01-14T08:00:00Z", datetime(2020, 1, 14, 8, tzinfo=UTC)),
    ("2020-01-14t08:00:00z", datetime(2020, 1, 14, 8, tzinfo=UTC)),
    ("2020-01-14 08:00Z", datetime(2020, 1, 14, 8, tzinfo=UTC)),
    ("2020-01-14T08:00:00.123456789Z", datetime(2020, 1, 14, 8, 0, 0, 123456, tzinfo=UTC)),
])
def test_rfc_3339_timestamps_are_read_as_instants(text: str, expected: datetime) -> None:
    assert parse_instant(text) == expected


@pytest.mark.parametrize("text", ["2020-01-14T10:00:00", "2020-01-14", "1579000000", "2020-13-01T00:00:00Z",
                                  "2020-01-14T10:00.5Z", "yesterday"])
def test_timestamps_without_an_offset_or_malformed_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)


def test_no_filter_keeps_every_event() -> None:
    assert EventFilter().matches(stored("2020-01-14T10:00:00+02:00"))


def test_the_window_includes_its_start_and_excludes_its_end() -> None:
    january = EventFilter(parse_instant("2020-01-01T00:00:00+02:00"), parse_instant("2020-02-01T00:00:00+02:00"))

    assert january.matches(stored("2020-01-01T00:00:00+02:00"))
    assert january.matches(stored("2020-01-31T23:59:59.999999+02:00"))
    assert not january.matches(stored("2020-02-01T00:00:00+02:00"))
    assert not january.matches(stored("2019-12-31T23:59:59+02:00"))


def test_times_written_with_different_offsets_compare_as_instants() -> None:
    since = EventFilter(from_time=parse_instant("2020-01-14T10:00:00+02:00"))

    assert since.matches(stored("2020-01-14T08:00:00Z"))          # the same instant
    assert not since.matches(stored("2020-01-14T08:59:59+01:00"))  # 07:59:59Z
    assert since.matches(stored("2020-01-14T03:00:00-05:00"))      # 08:00:00Z


def test_only_the_asked_types_are_kept() -> None:
    cooperations = EventFilter(types=frozenset({"tilts.cooperation.recorded"}))

    assert cooperations.matches(stored("2020-01-14T10:00:00Z", "tilts.cooperation.recorded"))
    assert not cooperations.matches(stored("2020-01-14T10:00:00Z", "tilts.activity.recorded"))


def test_type_and_window_must_both_match() -> None:
    keep = EventFilter(to_time=parse_instant("2020-02-01T00:00:00Z"), types=frozenset({"tilts.case.opened"}))

    assert keep.matches(stored("2020-01-14T10:00:00Z", "tilts.case.opened"))
    assert not keep.matches(stored("2020-03-14T10:00:00Z", "tilts.case.opened"))
    assert not keep.matches(stored("2020-01-14T10:00:00Z", "tilts.case.closed"))


def test_the_window_can_apply_to_when_the_server_recorded_the_event() -> None:
    late_entry = stored("2020-01-14T10:00:00+02:00", recordedtime="2020-03-02T09:00:00Z")
    recorded_in_march = EventFilter(parse_instant("2020-03-01T00:00:00Z"), time_field="recordedtime")

    assert recorded_in_march.matches(late_entry)
    assert not EventFilter(parse_instant("2020-03-01T00:00:00Z")).matches(late_entry)


def test_an_event_whose_time_cannot_be_read_is_outside_every_window() -> None:
    odd = stored("not a time")

    assert not EventFilter(from_time=parse_instant("2000-01-01T00:00:00Z")).matches(odd)
    assert EventFilter().matches(odd)


def test_bounds_without_an_offset_are_refused() -> None:
    with pytest.raises(ValueError):
        EventFilter(from_time=datetime(2020, 1, 1))


def test_a_window_bound_is_a_riga_day_or_an_instant_and_an_upper_bound_includes_itself() -> None:
    from shared.audit import parse_bound

    assert parse_bound("2020-01-14", upper=False) == datetime(2020, 1, 13, 22, tzinfo=UTC)
    assert parse_bound("2020-01-14", upper=True) == datetime(2020, 1, 14, 22, tzinfo=UTC)
    assert parse_bound("2020-07-14", upper=False) == datetime(2020, 7, 13, 21, tzinfo=UTC)  # summer time
    moment = datetime(2020, 1, 14, 8, tzinfo=UTC)
    assert parse_bound("2020-01-14T10:00:00+02:00", upper=False) == moment
    assert parse_bound("2020-01-14t08:00:00z", upper=True) == moment + timedelta(microseconds=1)
    for bad in ("2020-13-01", "1899-12-31", "2020-01-14T10:00:00", "yesterday", ""):
        with pytest.raises(ValueError):
            parse_bound(bad, upper=False)


def test_a_type_filter_names_only_types_of_the_catalogue() -> None:
    from shared.audit import unknown_types

    assert unknown_types(["tilts.family.erased", "tilts.cooperation.recorded"]) == []
    assert unknown_types(["tilts.no.such", "family.registered", "TILTS.FAMILY.ERASED", "tilts.family.erased"]) == [
        "TILTS.FAMILY.ERASED", "family.registered", "tilts.no.such"]
