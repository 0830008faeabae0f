"""Group commit: concurrent appends share atomic batches; one conflict never sinks the others."""

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


async def test_concurrent_appends_are_committed_together_in_order(log: EventLog) -> None:
    committer = GroupCommitter(log)
    calls = {"atomic": 0}
    original = log.append_atomic

    async def counting(items):
        calls["atomic"] += 1
        return await original(items)

    log.append_atomic = counting  # type: ignore[method-assign]
    results = await asyncio.gather(*(committer.append(_append(log, f"a{n}")) for n in range(50)))
    assert sorted(r.sequence for r in results) == list(range(1, 51))
    assert calls["atomic"] >= 1 and calls["atomic"] < 50
    assert await log.last_sequence() == 50


async def test_one_conflicting_append_fails_alone(log: EventLog) -> None:
    committer = GroupCommitter(log)
    await log.append(_append(log, "busy"))  # the aggregate is at sequence 1 now
    items = [_append(log, f"ok{n}") for n in range(5)] + [_append(log, "busy", expected=0)]
    results = await asyncio.gather(*(committer.append(i) for i in items), return_exceptions=True)
    assert isinstance(results[-1], WrongLastSequence)
    assert all(not isinstance(r, Exception) for r in results[:-1])
    assert await log.last_sequence() == 6
