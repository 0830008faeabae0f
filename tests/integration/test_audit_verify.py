"""Verifying hash chains on real streams: the intake's log is intact; tampering is named where it is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from shared.audit import read_log, verify_chains
from shared.bus.eventlog import EventLog
from shared.bus.stream import StreamSpec, ensure_stream
from shared.bus.subjects import Subjects
from shared.events.envelope import GENESIS_HASH, StoredEvent
from tests.support.harness import Harness
from tests.support.world import World


@dataclass
class Copy:
    """A fresh stream holding a copy of one test world's events, to tamper with."""

    log: EventLog
    stream: str
    subjects: Subjects
    sequences: dict[str, int]  # event id -> sequence in the copy

    async def append(self, stored: StoredEvent | bytes, subject: str) -> int:
        payload = stored if isinstance(stored, bytes) else stored.payload()
        return (await self.log.js.publish(subject, payload, stream=self.stream)).seq

    async def event(self, event_id: str) -> StoredEvent:
        found = await self.log.js.get_msg(self.stream, self.sequences[event_id], direct=True)
        return StoredEvent.from_payload(found.data, found.seq)

    def subject_of(self, stored: StoredEvent) -> str:
        return self.subjects.aggregate(stored.municipalityid, stored.aggregatetype, stored.aggregateid)

    async def verify(self, limit: int = 100):
        return await verify_chains(self.log, stream=self.stream, subject_prefix=self.subjects.prefix, limit=limit)


@pytest.fixture
def log(intake: Harness) -> EventLog:
    return intake.app.state.runtime.log


@pytest.fixture
async def copy(log: EventLog, world: World, unique_id: str) -> AsyncIterator[Copy]:
    """The world's events (with a cooperation) copied byte for byte into a stream of their own."""
    await world.cooperation()
    stream, subjects = f"AUDIT_{unique_id}", Subjects(f"audit{unique_id}")
    await ensure_stream(log.js, StreamSpec(stream, subjects.prefix))
    copied = Copy(log, stream, subjects, {})
    try:
        async for record in read_log(log, stream=log.stream, first=1, last=await log.last_sequence()):
            municipality, aggregate_type, aggregate_id = log.subjects.parse(record.subject)
            if aggregate_id.startswith(world.uid):
                stored = StoredEvent.from_payload(record.payload)
                subject = subjects.aggregate(municipality, aggregate_type, aggregate_id)
                copied.sequences[stored.id] = await copied.append(record.payload, subject)
        yield copied
    finally:
        await log.js.delete_stream(stream)


async def _cooperation_of(copy: Copy, world: World) -> StoredEvent:
    for event_id in copy.sequences:
        stored = await copy.event(event_id)
        if stored.aggregateid == world.id("coop1"):
            return stored
    raise AssertionError("the world's cooperation was not copied")


async def test_the_log_the_intake_wrote_verifies_intact(intake: Harness, log: EventLog, world: World) -> None:
    case_id = await world.case(await world.family(persons=("p1",)))
    await world.cooperation(case_id=case_id)

    report = await verify_chains(log, stream=log.stream, subject_prefix=log.subjects.prefix)

    assert report.intact and report.breaks == () and report.first_break is None
    assert report.events == report.last_sequence == await log.last_sequence()
    assert report.aggregates >= 7


async def test_a_faithful_copy_verifies_intact(copy: Copy) -> None:
    report = await copy.verify()

    assert report.intact and report.events == len(copy.sequences) >= 7


async def test_altered_data_under_the_old_hash_is_the_first_break(copy: Copy, world: World) -> None:
    original = await _cooperation_of(copy, world)
    tampered = original.model_copy(update={
        "id": "tampered-1", "version": 2, "prevhash": original.hash,
        "data": {**original.data, "purpose": "cita tikšanās"}})  # keeps the hash of the original
    sequence = await copy.append(tampered, copy.subject_of(original))

    report = await copy.verify()

    assert not report.intact and report.break_count == 1
    assert (report.first_break.sequence, report.first_break.event_id) == (sequence, "tampered-1")
    assert report.first_break.aggregate == f"cooperation/{world.id('coop1')}"
    assert report.first_break.problem == "hash mismatch"


async def test_an_honest_hash_over_a_wrong_prevhash_is_the_first_break(copy: Copy, world: World) -> None:
    original = await _cooperation_of(copy, world)
    forged = original.model_copy(update={"id": "forged-1", "version": 2, "prevhash": GENESIS_HASH})
    forged = forged.model_copy(update={"hash": forged.compute_hash()})
    sequence = await copy.append(forged, copy.subject_of(original))

    report = await copy.verify()

    assert report.first_break is not None and report.first_break.sequence == sequence
    assert report.first_break.problem == (
        f"prevhash does not match previous event (sequence {copy.sequences[original.id]})")


async def test_a_copy_on_another_aggregates_subject_is_caught(copy: Copy, world: World) -> None:
    original = await _cooperation_of(copy, world)
    elsewhere = copy.subjects.aggregate(world.municipality, "cooperation", world.id("coop-other"))
    sequence = await copy.append(original, elsewhere)

    report = await copy.verify()

    assert report.first_break is not None and report.first_break.sequence == sequence
    assert "subject mismatch" in report.first_break.problem
    assert "version repeated (expected 2, found 1)" in report.first_break.problem


async def test_a_message_that_is_not_an_event_is_a_break_and_the_check_goes_on(copy: Copy, world: World) -> None:
    original = await _cooperation_of(copy, world)
    junk = [await copy.append(b'{"not": "an event"}', copy.subject_of(original)) for _ in range(3)]

    report = await copy.verify(limit=2)

    assert report.break_count == 3 and [b.sequence for b in report.breaks] == junk[:2]
    assert report.breaks[0].problem.startswith("unreadable event:")
    assert report.events == len(copy.sequences) + 3


async def test_an_empty_stream_verifies_intact_with_nothing_checked(log: EventLog, unique_id: str) -> None:
    stream = f"EMPTY_{unique_id}"
    await ensure_stream(log.js, StreamSpec(stream, f"empty{unique_id}"))
    try:
        report = await verify_chains(log, stream=stream, subject_prefix=f"empty{unique_id}")
    finally:
        await log.js.delete_stream(stream)

    assert report.intact and (report.events, report.aggregates, report.last_sequence) == (0, 0, 0)
