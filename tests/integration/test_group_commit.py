"""Group commit: appends beyond those in flight share atomic batches; one conflict never sinks the others."""

from __future__ import annotations

import asyncio
import uuid

import nats
import pytest

from shared.bus.eventlog import Append, EventLog, WrongLastSequence
from shared.bus.group_commit import GroupCommitter
from shared.bus.stream import StreamSpec, ensure_stream
from shared.bus.subjects import Subjects


@pytest.fixture
async def log(nats_url: str):
    suffix = uuid.uuid4().hex[:8]
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, StreamSpec(f"GC_{suffix}", f"gc{suffix}"))
    yield EventLog(nc, js, f"GC_{suffix}", Subjects(f"gc{suffix}"))
    await nc.close()


def _append(log: EventLog, aggregate: str, expected: int = 0) -> Append:
    subject = log.subjects.aggregate("m", "case", aggregate)
    return Append(subject, b"{}", uuid.uuid4().hex, expected, log.subjects.any_municipality("case", aggregate))


def _count_atomic_batches(log: EventLog) -> dict[str, int]:
    calls = {"atomic": 0}
    original = log.append_atomic

    async def counting(items):
        calls["atomic"] += 1
        return await original(items)

    log.append_atomic = counting  # type: ignore[method-assign]
    return calls


async def test_appends_beyond_those_in_flight_are_committed_together_in_order(log: EventLog) -> None:
    committer = GroupCommitter(log, max_in_flight=8)
    calls = _count_atomic_batches(log)
    results = await asyncio.gather(*(committer.append(_append(log, f"a{n}")) for n in range(50)))
    assert sorted(r.sequence for r in results) == list(range(1, 51))
    assert calls["atomic"] >= 1 and calls["atomic"] < 42
    assert await log.last_sequence() == 50


async def test_appends_go_on_their_own_while_few_are_in_flight(log: EventLog) -> None:
    committer = GroupCommitter(log, max_in_flight=24)
    calls = _count_atomic_batches(log)
    results = await asyncio.gather(*(committer.append(_append(log, f"s{n}")) for n in range(16)))
    assert sorted(r.sequence for r in results) == list(range(1, 17))
    assert calls["atomic"] == 0


@pytest.mark.parametrize("max_in_flight", [0, 24], ids=["all-grouped", "all-on-their-own"])
async def test_one_conflicting_append_fails_alone(log: EventLog, max_in_flight: int) -> None:
    committer = GroupCommitter(log, max_in_flight=max_in_flight)
    await log.append(_append(log, "busy"))  # the aggregate is at sequence 1 now
    items = [_append(log, f"ok{n}") for n in range(5)] + [_append(log, "busy", expected=0)]
    results = await asyncio.gather(*(committer.append(i) for i in items), return_exceptions=True)
    assert isinstance(results[-1], WrongLastSequence)
    assert all(not isinstance(r, Exception) for r in results[:-1])
    assert await log.last_sequence() == 6
