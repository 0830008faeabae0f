"""Hash chains, event by event: given a log, which events break their aggregate's chain and why."""

from __future__ import annotations

from typing import Any

from shared.audit.chains import Break, ChainChecker
from shared.bus.subjects import Subjects
from shared.events.envelope import GENESIS_HASH, StoredEvent

SUBJECTS = Subjects("tilts.ev")


def stored(aggregate_id: str, version: int, prevhash: str, sequence: int, *, municipality: str = "jelgava",
           aggregate_type: str = "case", **data: Any) -> StoredEvent:
    event, _ = StoredEvent.chain(
        id=f"ev-{aggregate_id}-{version}-{sequence}", source="tests/phone-1", type="tilts.activity.recorded",
        time="2020-01-14T10:00:00+02:00", subject=f"{aggregate_type}/{aggregate_id}",
        recordedtime="2020-01-14T08:00:01Z", actor="med-1", actorrole="mediator", municipalityid=municipality,
        aggregatetype=aggregate_type, aggregateid=aggregate_id, version=version, schemaversion=1,
        fingerprint="f" * 64, prevhash=prevhash, data={"case_id": aggregate_id, "kind": "home_visit", **data})
    return event.with_sequence(sequence)


def history(aggregate_id: str, count: int, first_sequence: int = 1, step: int = 1) -> list[StoredEvent]:
    """`count` correctly chained events of one aggregate at sequences first, first+step, ..."""
    events: list[StoredEvent] = []
    for version in range(1, count + 1):
        previous = events[-1].hash if events else GENESIS_HASH
        events.append(stored(aggregate_id, version, previous, first_sequence + (version - 1) * step))
    return events


def subject_of(event: StoredEvent) -> str:
    return SUBJECTS.aggregate(event.municipalityid, event.aggregatetype, event.aggregateid)


def check(events: list[StoredEvent]) -> list[Break]:
    checker = ChainChecker(SUBJECTS)
    return [found for event in events if (found := checker.feed(event, subject_of(event))) is not None]


def with_data(event: StoredEvent, **data: Any) -> StoredEvent:
    return event.model_copy(update={"data": {**event.data, **data}})


def test_an_intact_log_of_interleaved_aggregates_has_no_breaks() -> None:
    log = sorted(history("c-1", 3, 1, 2) + history("c-2", 3, 2, 2), key=lambda e: e.sequence or 0)
    checker = ChainChecker(SUBJECTS)

    assert [checker.feed(event, subject_of(event)) for event in log] == [None] * 6
    assert checker.events == 6 and checker.aggregates == 2


def test_tampered_data_is_a_hash_mismatch_at_that_event_only() -> None:
    log = history("c-1", 3)
    log[1] = with_data(log[1], kind="consultation")

    assert check(log) == [Break(2, log[1].id, "case/c-1", "hash mismatch")]


def test_a_forged_hash_over_tampered_data_breaks_the_next_events_prevhash() -> None:
    log = history("c-1", 3)
    forged = with_data(log[1], kind="consultation")
    log[1] = forged.model_copy(update={"hash": forged.compute_hash()})

    assert check(log) == [Break(3, log[2].id, "case/c-1", "prevhash does not match previous event (sequence 2)")]


def test_a_missing_event_is_a_version_gap() -> None:
    first, _, third = history("c-1", 3)

    [found] = check([first, third])

    assert found.sequence == 3
    assert found.problem == "version gap (expected 2, found 3); prevhash does not match previous event (sequence 1)"


def test_a_duplicated_version_is_caught() -> None:
    first, second = history("c-1", 2)
    rival = stored("c-1", 2, first.hash, 3, note="a second version 2")

    assert check([first, second, rival]) == [
        Break(3, rival.id, "case/c-1",
              "version repeated (expected 3, found 2); prevhash does not match previous event (sequence 2)")]


def test_an_aggregates_first_event_must_be_version_1_chained_from_genesis() -> None:
    orphan = stored("c-1", 2, "a" * 64, 7)

    [found] = check([orphan])

    assert found.problem == "version gap (expected 1, found 2); prevhash is not genesis for the aggregate's first event"


def test_an_event_stored_on_another_aggregates_subject_is_a_subject_mismatch() -> None:
    [event] = history("c-1", 1)
    checker = ChainChecker(SUBJECTS)

    found = checker.feed(event, "tilts.ev.jelgava.case.c-2")

    assert found is not None and found.problem.startswith("subject mismatch")
    assert "tilts.ev.jelgava.case.c-2" in found.problem and "tilts.ev.jelgava.case.c-1" in found.problem


def test_an_event_stored_in_another_municipality_is_a_subject_mismatch() -> None:
    [event] = history("c-1", 1)

    found = ChainChecker(SUBJECTS).feed(event, "tilts.ev.riga.case.c-1")

    assert found is not None and found.problem.startswith("subject mismatch")


def test_ids_with_dots_and_national_aggregates_match_their_encoded_subjects() -> None:
    event = stored("2020.01", 1, GENESIS_HASH, 1, municipality="_", aggregate_type="report")

    assert ChainChecker(SUBJECTS).feed(event, "tilts.ev._.report.2020~01") is None


def test_a_hash_that_is_not_hex_still_chains_by_its_exact_text() -> None:
    first, second = history("c-1", 2)
    odd = first.model_copy(update={"hash": "not-a-hash"})
    follows = second.model_copy(update={"prevhash": "not-a-hash"})
    follows = follows.model_copy(update={"hash": follows.compute_hash()})

    assert check([odd, follows]) == [Break(1, first.id, "case/c-1", "hash mismatch")]


def test_an_unreadable_message_is_a_break_of_its_own() -> None:
    checker = ChainChecker(SUBJECTS)

    found = checker.unreadable(9, "tilts.ev.jelgava.case.c-1", "payload: Invalid JSON")

    assert found == Break(9, "", "tilts.ev.jelgava.case.c-1", "unreadable event: payload: Invalid JSON")
    assert checker.events == 1
    assert str(found) == "sequence 9 (event ?, tilts.ev.jelgava.case.c-1): unreadable event: payload: Invalid JSON"
