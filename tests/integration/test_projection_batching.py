"""How the projection runner takes events from JetStream: a backlog in full batches; a trickle
left to gather on the server over the linger and then taken in one pull, rather than delivered
one event at a time to a pull request held open meanwhile."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
import nats
import pytest

from nats.js import JetStreamContext

from shared.bus import projection
from shared.bus.projection import ProjectionRunner
from shared.bus.stream import StreamSpec, ensure_stream
from shared.bus.subjects import Subjects
from shared.config import Settings
from shared.db.pool import create_pool
from shared.events.envelope import StoredEvent
from tests.support.inboxes import eventually

LINGER = 0.5
BATCH = 256


@dataclass
class Recorder:
    """A projection that only remembers the batches it was given."""

    name: str = "batching-test"
    aggregate_types: None = None
    batches: list[list[int]] = field(default_factory=list)

    async def apply(self, connection: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        self.batches.append([e.sequence or 0 for e in events])


@dataclass
class Rig:
    settings: Settings
    runner: ProjectionRunner
    recorder: Recorder
    publish: Callable[[int], Awaitable[None]]
    js: JetStreamContext


def _payload(number: int) -> bytes:
    return json.dumps({
        "specversion": "1.0", "id": f"ev-{number}", "source": "tests", "type": "tilts.test.happened",
        "time": "2026-01-01T10:00:00Z", "subject": "x/1", "recordedtime": "2026-01-01T10:00:00Z", "actor": "a",
        "actorrole": "admin", "municipalityid": "m", "aggregatetype": "x", "aggregateid": str(number),
        "version": 1, "schemaversion": 1, "fingerprint": "f", "prevhash": "0" * 64, "hash": "h", "data": {}}).encode()


@pytest.fixture
async def rig(make_settings: Callable[..., Awaitable[Settings]]) -> AsyncIterator[Rig]:
    settings = await make_settings()
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    await ensure_stream(js, StreamSpec(settings.stream_name, settings.subject_prefix, 1, 120))
    subjects = Subjects(settings.subject_prefix)
    pool = await create_pool(settings.database_url)
    recorder = Recorder()
    runner = ProjectionRunner(nc, js, pool, stream=settings.stream_name, subjects_filter=subjects.all(),
                              schema="batching", projection=recorder, batch_size=BATCH, linger=LINGER)
    await pool.execute('CREATE SCHEMA IF NOT EXISTS "batching"')
    numbers = itertools.count(1)

    async def publish(count: int) -> None:
        for number in itertools.islice(numbers, count):
            await js.publish(subjects.aggregate("m", "x", str(number)), _payload(number))

    await runner.prepare()
    try:
        yield Rig(settings, runner, recorder, publish, js)
    finally:
        await runner.stop()
        await pool.close()
        await js.delete_stream(settings.stream_name)
        await nc.close()


async def test_a_backlog_is_taken_in_full_batches(rig: Rig) -> None:
    await rig.publish(600)
    rig.runner.start()
    assert await rig.runner.wait_for(600, 30)
    batches = rig.recorder.batches
    assert [n for batch in batches for n in batch] == list(range(1, 601))
    # Full batches (a pull that outlived its timeout may add its late arrivals to the next one).
    assert len(batches) <= 3 and all(len(batch) >= BATCH for batch in batches[:-1]), [len(b) for b in batches]


async def test_a_trickle_gathers_on_the_server_and_is_taken_in_one_pull(rig: Rig) -> None:
    rig.runner.start()
    await asyncio.sleep(0.2)  # the runner waits for the first event
    await rig.publish(1)
    await asyncio.sleep(0.1)  # it has it, and lingers for more
    await rig.publish(3)
    consumer = await rig.js.consumer_info(rig.settings.stream_name, rig.recorder.name)
    # No pull request is held open while the trickle gathers (it would have each event delivered
    # on its own): the three wait on the server for the one pull after the linger.
    assert (consumer.num_waiting, consumer.num_pending) == (0, 3)
    assert await rig.runner.wait_for(4, 10)
    # Taken together: with the first event, or, when the pull after the linger outlived its short
    # timeout (PULL_SECONDS, a loaded machine), as the next batch. Never one event at a time.
    assert rig.recorder.batches in ([[1, 2, 3, 4]], [[1], [2, 3, 4]]), rig.recorder.batches


async def test_waiting_on_a_runner_as_it_becomes_active_never_sets_its_position_back(
        rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    # A waiter that starts while the runner stands by follows the stored position. Reading it
    # takes a while (slowed here); if the runner commits meanwhile, the waiter's answer is old
    # by the time it comes, and must not overwrite the runner's newer position (a runner set
    # back refuses every later batch: it no longer knows where it stands).
    read = projection.read_position

    async def slow_read(connection: object, schema: str, name: str) -> int:
        value = await read(connection, schema, name)
        await asyncio.sleep(0.3)
        return value

    monkeypatch.setattr(projection, "read_position", slow_read)
    await rig.publish(600)
    waiting = asyncio.ensure_future(rig.runner.wait_for(600, 30))
    await asyncio.sleep(0)  # the waiter starts before the runner is active
    rig.runner.start()
    assert await waiting
    await rig.publish(10)
    assert await rig.runner.wait_for(610, 10)
    assert [n for batch in rig.recorder.batches for n in batch] == list(range(1, 611))


async def test_a_read_model_ahead_of_its_log_stops_loudly_instead_of_skipping(
        rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data dir started on an empty store once kept its read models at their old positions:
    every new event up to there was skipped, and every check said all was well."""
    await rig.publish(3)
    await rig.runner._pool.execute(  # as if built from a longer log
        'UPDATE "batching".projection_positions SET position = 10 WHERE name = $1', rig.recorder.name)
    await rig.runner.prepare()
    monkeypatch.setattr(projection, "LOG_BEHIND_POLL_SECONDS", 0.1)
    rig.runner.start()
    await eventually(lambda: rig.runner.log_behind, what="the runner to notice")
    assert not rig.runner.health.ok and "ends at 3" in (rig.runner.health.reason or "")
    await rig.publish(9)  # the log grows past the old position meanwhile: its events 4-10 are not skipped
    await asyncio.sleep(0.5)  # several looks again
    assert rig.recorder.batches == [] and rig.runner.position == 10 and rig.runner.log_behind
