"""The notary against a rewritten, cut or forged record, on real NATS: what the chains miss, checkpoints catch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest

from shared.audit import verify_chains
from shared.audit.notarised import checkpoint_checker, prove_consistency, read_checkpoints
from shared.bus.stream import StreamSpec, ensure_stream
from shared.bus.subjects import Subjects
from shared.config import Settings
from shared.events.envelope import GENESIS_HASH, StoredEvent
from shared.notary.checkpoints import Checkpoint
from shared.notary.keys import NotarySigner
from shared.notary.merkle import Frontier, leaf_hash
from shared.notary.notary import Notary
from shared.notary.store import CheckpointConflict, CheckpointStore
from shared.runtime import Runtime
from tests.support.harness import Harness

AGGREGATES = ("c-1", "c-2", "c-3")


@dataclass
class Record:
    """A stream of its own with chained events (three cases, visits in turn) and its notary's checkpoints."""

    runtime: Runtime
    settings: Settings
    stream: str
    subjects: Subjects
    events: list[StoredEvent] = field(default_factory=list)

    @property
    def js(self):
        return self.runtime.js

    @property
    def store(self) -> CheckpointStore:
        return CheckpointStore(self.js, log_stream=self.stream, subject_prefix=self.subjects.prefix)

    @property
    def signer(self) -> NotarySigner:
        return NotarySigner.from_settings(self.settings.model_copy(update={"stream_name": self.stream}))

    def notary(self, pool: asyncpg.Pool | None = None, *, max_events: int = 4) -> Notary:
        return Notary(self.runtime.nc, self.js, pool or self.runtime.pool, self.store, self.signer,
                      stream=self.stream, interval=0.05, max_events=max_events)

    async def append(self, count: int) -> None:
        """Chain and store `count` more visits, round-robin over the cases."""
        for _ in range(count):
            aggregate = AGGREGATES[len(self.events) % len(AGGREGATES)]
            self.events.append(chained(self.events, aggregate, {"kind": "home_visit"}))
            await self.publish(self.events[-1])

    async def publish(self, stored: StoredEvent) -> int:
        subject = self.subjects.aggregate("jelgava", "case", stored.aggregateid)
        return (await self.js.publish(subject, stored.payload(), stream=self.stream)).seq

    async def replace(self, events: list[StoredEvent]) -> None:
        """What someone who can rewrite the server's streams would do: drop the log, store another."""
        await self.js.delete_stream(self.stream)
        await ensure_stream(self.js, StreamSpec(self.stream, self.subjects.prefix))
        for stored in events:
            await self.publish(stored)

    async def verify(self):
        checker = await checkpoint_checker(self.js, stream=self.stream, subject_prefix=self.subjects.prefix,
                                           key=self.signer.key)
        return await verify_chains(self.js, stream=self.stream, subject_prefix=self.subjects.prefix,
                                   checkpoints=checker)


def chained(history: list[StoredEvent], aggregate: str, data: dict[str, Any], event_id: str | None = None
            ) -> StoredEvent:
    """The next event of `aggregate` after `history`, with an honest version, prevhash and hash."""
    previous = [e for e in history if e.aggregateid == aggregate]
    stored, _ = StoredEvent.chain(
        id=event_id or f"ev-{len(history) + 1}", source="tests", type="tilts.activity.recorded",
        time="2020-01-14T10:00:00+02:00", subject=f"case/{aggregate}", recordedtime="2020-01-14T08:00:01Z",
        actor="med-1", actorrole="mediator", municipalityid="jelgava", aggregatetype="case", aggregateid=aggregate,
        version=len(previous) + 1, schemaversion=1, fingerprint="f" * 64,
        prevhash=previous[-1].hash if previous else GENESIS_HASH,
        data={"activity_id": f"a-{len(history) + 1}", **data})
    return stored


def rewritten(events: list[StoredEvent], index: int, data: dict[str, Any]) -> list[StoredEvent]:
    """The same history with event `index`'s data changed, and every link after it re-hashed to match."""
    history: list[StoredEvent] = []
    for position, original in enumerate(events):
        changed = {**original.data, **data} if position == index else original.data
        history.append(chained(history, original.aggregateid, {k: v for k, v in changed.items()
                                                                if k != "activity_id"}, original.id))
    return history


@pytest.fixture
async def record(intake: Harness, unique_id: str) -> AsyncIterator[Record]:
    runtime: Runtime = intake.app.state.runtime
    stream, subjects = f"NOTARY_{unique_id}", Subjects(f"notary{unique_id}")
    await ensure_stream(runtime.js, StreamSpec(stream, subjects.prefix))
    made = Record(runtime, intake.settings, stream, subjects)
    try:
        yield made
    finally:
        for name in (stream, made.store.stream):
            try:
                await runtime.js.delete_stream(name)
            except Exception:  # noqa: BLE001 - a test may have left either one missing
                pass


async def notarise(record: Record, count: int) -> None:
    """Append `count` events and let a notary checkpoint them all."""
    await record.append(count)
    notary = record.notary()
    await notary.prepare()
    notary.start()
    try:
        assert await notary.wait_for(len(record.events), 15), notary.health
    finally:
        await notary.stop()


async def test_a_log_rewritten_with_consistent_chains_fails_only_the_checkpoint_check(record: Record) -> None:
    await notarise(record, 14)                     # checkpoints at 4, 8, 12, 14
    honest = await record.verify()
    assert honest.intact and honest.checkpoints is not None and honest.checkpoints.matching == 4

    await record.replace(rewritten(record.events, 9, {"kind": "interpreting"}))  # sequence 10
    chains_only = await verify_chains(record.js, stream=record.stream, subject_prefix=record.subjects.prefix)
    report = await record.verify()

    assert chains_only.intact and chains_only.events == 14  # every hash, prevhash and version is consistent
    assert not report.intact and report.break_count == 0
    assert report.checkpoints is not None and report.checkpoints.matching == 2
    assert str(report.checkpoints.breaks[0]) == (
        "checkpoint 3 (size 12) root differs: something between sequences 9 and 12 was changed "
        "(the first 8 still match)")


async def test_a_log_cut_short_and_continued_is_caught_at_the_checkpoint_beyond_its_end(record: Record) -> None:
    await notarise(record, 9)

    await record.replace(record.events[:7])
    report = await record.verify()

    assert report.break_count == 0 and report.checkpoints is not None
    assert [str(b) for b in report.checkpoints.breaks] == [
        "checkpoint 2 (size 8) is beyond the end of the log (7 events): events signed for were removed from its end",
        "checkpoint 3 (size 9) is beyond the end of the log (7 events): events signed for were removed from its end"]


async def test_a_forged_checkpoint_is_refused_by_verify_and_by_the_notary(record: Record, intake: Harness) -> None:
    await notarise(record, 5)
    forger = NotarySigner.from_settings(intake.settings.model_copy(update={"stream_name": record.stream}))
    frontier = Frontier()
    for stored in rewritten(record.events, 0, {"kind": "forged"}):
        frontier.append(leaf_hash(stored.payload()))
    genuine = forger.sign(frontier)
    forged = Checkpoint(**{**vars(genuine), "signature": bytes(64)})  # made without the private key
    await record.store.append(forged, after=await record.store.count())

    report = await record.verify()
    notary = record.notary()
    notary.start()
    try:
        for _ in range(200):
            if notary.health.reason and notary.health.reason.startswith("stopped"):
                break
            await asyncio.sleep(0.02)
    finally:
        await notary.stop()

    assert report.checkpoints is not None and not report.intact
    assert str(report.checkpoints.breaks[0]).startswith(
        "checkpoint 3 (size 5) has a signature that does not verify with the notary key")
    assert notary.health.reason == (f"stopped: checkpoint 3 was not signed by this notary's key (key id "
                                    f"{record.signer.key.key_id.hex()}): restore the key that signed it")


async def test_the_notary_stops_rather_than_extend_a_log_shorter_than_its_checkpoints(record: Record) -> None:
    await notarise(record, 6)
    await record.replace(record.events[:3])

    notary = record.notary()
    notary.start()
    try:
        for _ in range(200):
            if not notary.health.ok and "stopped" in (notary.health.reason or ""):
                break
            await asyncio.sleep(0.02)
    finally:
        await notary.stop()

    assert notary.health.reason == ("stopped: the log ends at sequence 3 but checkpoint 2 covers 6 events: "
                                    "it was cut short or replaced")


async def test_an_append_after_a_stale_checkpoint_is_refused(record: Record) -> None:
    await notarise(record, 4)                       # checkpoint 1 at size 4
    frontier = Frontier()
    for stored in record.events:
        frontier.append(leaf_hash(stored.payload()))

    with pytest.raises(CheckpointConflict):
        await record.store.append(record.signer.sign(frontier), after=0)


async def test_two_notaries_without_a_shared_lock_still_write_one_growing_line(
        record: Record, make_settings: Callable[..., Awaitable[Settings]]) -> None:
    other = await asyncpg.create_pool((await make_settings()).database_url, min_size=1, max_size=2)
    first, second = record.notary(max_events=3), record.notary(other, max_events=3)  # different databases
    await first.prepare()
    first.start()
    second.start()
    try:
        for _ in range(6):
            await record.append(5)
            await asyncio.sleep(0.03)
        assert await first.wait_for(30, 15) or await second.wait_for(30, 15)
        both_worked = first.active and second.active  # only the checkpoint stream kept them in line
    finally:
        await first.stop()
        await second.stop()
        await other.close()

    sizes = [r.checkpoint.size for r in await read_checkpoints(record.js, stream=record.stream,
                                                               subject_prefix=record.subjects.prefix)]
    report = await record.verify()

    assert both_worked
    assert sizes == sorted(set(sizes)) and sizes[-1] == 30
    assert report.intact and report.checkpoints is not None and report.checkpoints.matching == len(sizes)


async def test_an_old_checkpoint_is_proven_consistent_with_the_latest_from_the_log(record: Record) -> None:
    await notarise(record, 5)
    saved = (await record.store.latest()).checkpoint  # type: ignore[union-attr]
    await notarise(record, 21)
    latest = (await record.store.latest()).checkpoint  # type: ignore[union-attr]
    assert saved is not None and latest is not None

    proven = await prove_consistency(record.js, stream=record.stream, first=saved, second=latest)
    await record.replace(rewritten(record.events, 2, {"kind": "interpreting"}))
    after_rewrite = await prove_consistency(record.js, stream=record.stream, first=saved, second=latest)

    assert (saved.size, latest.size) == (5, 26)
    assert proven.passed and len(proven.proof) >= 3
    assert not after_rewrite.passed and not after_rewrite.first_root_in_log
