"""Replaying the intake's log: what was posted comes back in sequence order, filtered as asked."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.audit import ReadInterrupted, parse_instant, read_log, reader, replay
from shared.bus.eventlog import EventLog
from shared.events.envelope import StoredEvent
from tests.support.harness import Harness, event
from tests.support.world import World, must_post

COOPERATION = "tilts.cooperation.recorded"
ACTIVITY = "tilts.activity.recorded"


@dataclass
class Posted:
    """Five events posted through the intake, by name: their ids and sequences."""

    ids: dict[str, str]
    sequences: dict[str, int]
    posting_started: datetime

    @property
    def first(self) -> int:
        return min(self.sequences.values())

    @property
    def last(self) -> int:
        return max(self.sequences.values())

    def names(self, events: list[StoredEvent]) -> list[str]:
        by_id = {event_id: name for name, event_id in self.ids.items()}
        return [by_id[event.id] for event in events]


def _cooperation(world: World, name: str, time: str) -> dict[str, Any]:
    return event(COOPERATION, {
        "cooperation_id": world.id(name), "institution_id": world.institution, "contact_id": world.contacts[0],
        "domain": "education", "channel": "meeting", "purpose": "kavējumu iemesli"}, time=time)


def _activity(world: World, name: str, time: str) -> dict[str, Any]:
    return {**world.activity(None, name, municipality_id=world.municipality), "time": time}


@pytest.fixture(scope="module")
async def posted(intake: Harness) -> Posted:
    world = await World.create(intake, "t" + uuid.uuid4().hex[:10])
    started = datetime.now(UTC) - timedelta(seconds=1)
    bodies = {
        "coop-jan-10": _cooperation(world, "coop-jan-10", "2020-01-10T10:00:00+02:00"),
        "coop-feb-01-utc": _cooperation(world, "coop-feb-01-utc", "2020-01-31T23:30:00-05:00"),
        "visit-jan-20": _activity(world, "visit-jan-20", "2020-01-20T08:00:00Z"),
        "coop-feb-10": _cooperation(world, "coop-feb-10", "2020-02-10T12:00:00+02:00"),
        "visit-jan-01-riga": _activity(world, "visit-jan-01-riga", "2020-01-01T00:00:00+02:00"),
    }
    sequences = {name: (await must_post(intake, body, world.as_mediator))["sequence"]
                 for name, body in bodies.items()}
    return Posted({name: body["id"] for name, body in bodies.items()}, sequences, started)


@pytest.fixture
def log(intake: Harness) -> EventLog:
    return intake.app.state.runtime.log


async def _replay(log: EventLog, posted: Posted, **filters: Any) -> list[StoredEvent]:
    filters.setdefault("from_sequence", posted.first)
    filters.setdefault("to_sequence", posted.last)
    return [stored async for stored in replay(log, stream=log.stream, **filters)]


async def test_replay_returns_the_posted_events_in_sequence_order_as_stored(log: EventLog, posted: Posted) -> None:
    events = await _replay(log, posted)

    assert posted.names(events) == list(posted.ids)
    assert [e.sequence for e in events] == list(posted.sequences.values())
    assert all(e.compute_hash() == e.hash for e in events)


async def test_replay_starts_and_stops_at_the_asked_sequences(log: EventLog, posted: Posted) -> None:
    events = await _replay(log, posted, from_sequence=posted.sequences["coop-feb-01-utc"],
                           to_sequence=posted.sequences["coop-feb-10"])

    assert posted.names(events) == ["coop-feb-01-utc", "visit-jan-20", "coop-feb-10"]


async def test_replay_keeps_a_time_window_compared_as_instants(log: EventLog, posted: Posted) -> None:
    january_in_riga = await _replay(log, posted, from_time=parse_instant("2020-01-01T00:00:00+02:00"),
                                    to_time=parse_instant("2020-02-01T00:00:00+02:00"))

    assert posted.names(january_in_riga) == ["coop-jan-10", "visit-jan-20", "visit-jan-01-riga"]


async def test_replay_keeps_only_the_asked_types(log: EventLog, posted: Posted) -> None:
    cooperations = await _replay(log, posted, types={COOPERATION})
    january_cooperations = await _replay(log, posted, types={COOPERATION},
                                         to_time=parse_instant("2020-02-01T00:00:00+02:00"))

    assert posted.names(cooperations) == ["coop-jan-10", "coop-feb-01-utc", "coop-feb-10"]
    assert posted.names(january_cooperations) == ["coop-jan-10"]


async def test_replay_can_filter_on_when_the_server_recorded_events(log: EventLog, posted: Posted) -> None:
    recorded_since = await _replay(log, posted, from_time=posted.posting_started, time_field="recordedtime")
    happened_since = await _replay(log, posted, from_time=posted.posting_started)

    assert posted.names(recorded_since) == list(posted.ids)
    assert happened_since == []


async def test_replay_stops_at_the_last_sequence_when_it_started(
        intake: Harness, log: EventLog, posted: Posted, world: World) -> None:
    events = replay(log, stream=log.stream, from_sequence=posted.first)
    first = await anext(events)
    later = await must_post(intake, _activity(world, "after-start", "2020-03-01T10:00:00Z"), world.as_mediator)
    rest = [stored async for stored in events]

    assert first.sequence == posted.first
    assert rest and rest[-1].sequence == later["sequence"] - 1


async def test_replay_leaves_no_consumer_on_the_server(log: EventLog, posted: Posted) -> None:
    before = (await log.js.stream_info(log.stream)).state.consumer_count

    events = replay(log, stream=log.stream, from_sequence=posted.first, batch=2)
    await anext(events)
    reading = (await log.js.stream_info(log.stream)).state.consumer_count
    await events.aclose()
    await _replay(log, posted, batch=2)

    assert reading == before + 1
    assert (await log.js.stream_info(log.stream)).state.consumer_count == before


async def test_replay_past_the_end_returns_nothing(log: EventLog, posted: Posted) -> None:
    beyond = await log.last_sequence() + 1

    assert await _replay(log, posted, from_sequence=beyond, to_sequence=None) == []
    assert await _replay(log, posted, from_sequence=posted.last, to_sequence=posted.first) == []


async def test_a_read_that_loses_its_consumer_fails_instead_of_ending_early(log: EventLog, posted: Posted) -> None:
    records = read_log(log, stream=log.stream, first=posted.first, last=posted.last, batch=1, timeout=5)
    await anext(records)
    for consumer in await log.js.consumers_info(log.stream):
        if consumer.name.startswith("audit-"):
            await log.js.delete_consumer(log.stream, consumer.name)

    with pytest.raises(ReadInterrupted):
        async for _ in records:
            pass


async def test_a_read_whose_consumer_is_not_heard_yet_asks_again_until_it_is(
        log: EventLog, posted: Posted, monkeypatch: pytest.MonkeyPatch) -> None:
    # In a cluster, a new consumer's interest reaches the other servers a moment after it was
    # created, and pull requests meanwhile are answered 503 "no responders". Here the consumer
    # only comes into being 0.5 s after the reading starts asking.
    create = reader._create_consumer
    later: list[asyncio.Task[None]] = []

    async def created_later(*args: Any) -> None:
        async def create_soon() -> None:
            await asyncio.sleep(0.5)
            await create(*args)
        later.append(asyncio.create_task(create_soon()))

    monkeypatch.setattr(reader, "_create_consumer", created_later)
    answered: list[str] = []
    on_message = reader._Pulls.on_message

    async def noting(self: Any, message: Any) -> None:
        answered.append((message.headers or {}).get("Status", "message"))
        await on_message(self, message)

    monkeypatch.setattr(reader._Pulls, "on_message", noting)
    records = [r async for r in read_log(log, stream=log.stream, first=posted.first, last=posted.last, timeout=5)]
    assert [r.sequence for r in records] == sorted(posted.sequences.values())
    assert "503" in answered  # asked before the consumer was there, and asked again
    await asyncio.gather(*later)


async def test_a_read_whose_consumer_is_never_heard_gives_up_after_its_timeout(
        log: EventLog, posted: Posted, monkeypatch: pytest.MonkeyPatch) -> None:
    async def never(*_: Any) -> None:
        return None

    monkeypatch.setattr(reader, "_create_consumer", never)
    with pytest.raises(ReadInterrupted, match="no responders"):
        async for _ in read_log(log, stream=log.stream, first=posted.first, last=posted.last, timeout=1):
            pass
