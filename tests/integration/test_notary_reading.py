"""The notary's reads by batched direct gets: the range asked for, in order, nothing left on the server."""

from __future__ import annotations

import pytest

from shared.bus.stream import StreamSpec, ensure_stream
from shared.notary.reading import read_direct
from shared.runtime import Runtime
from tests.support.harness import Harness


@pytest.fixture
async def stream(intake: Harness, unique_id: str):
    runtime: Runtime = intake.app.state.runtime
    name, prefix = f"READ_{unique_id}", f"read{unique_id}"
    await ensure_stream(runtime.js, StreamSpec(name, prefix))
    for number in range(1, 26):
        await runtime.js.publish(f"{prefix}.m.case.c-{number % 3}", f"event {number}".encode(), stream=name)
    try:
        yield runtime, name, prefix
    finally:
        await runtime.js.delete_stream(name)


async def test_a_range_is_read_in_order_across_batches(stream) -> None:
    runtime, name, prefix = stream

    records = [r async for r in read_direct(runtime.nc, stream=name, first=4, last=22, batch=5)]

    assert [r.sequence for r in records] == list(range(4, 23))
    assert [r.payload for r in records] == [f"event {n}".encode() for n in range(4, 23)]
    assert records[0].subject == f"{prefix}.m.case.c-1"


async def test_a_paced_read_gives_the_same_records(stream) -> None:
    runtime, name, _ = stream

    paced = [r async for r in read_direct(runtime.nc, stream=name, first=4, last=22, batch=5, pause=0.01)]
    unpaced = [r async for r in read_direct(runtime.nc, stream=name, first=4, last=22, batch=5)]

    assert paced == unpaced and [r.sequence for r in paced] == list(range(4, 23))


async def test_reading_past_the_end_stops_where_the_stream_ends(stream) -> None:
    runtime, name, _ = stream

    records = [r async for r in read_direct(runtime.nc, stream=name, first=20, last=40, batch=4)]
    beyond = [r async for r in read_direct(runtime.nc, stream=name, first=30, last=40)]

    assert [r.sequence for r in records] == list(range(20, 26)) and beyond == []


async def test_reading_creates_no_consumer_on_the_stream(stream) -> None:
    runtime, name, _ = stream
    reading = read_direct(runtime.nc, stream=name, first=1, last=25, batch=3)

    await anext(reading)
    during = (await runtime.js.stream_info(name)).state.consumer_count
    await reading.aclose()

    assert during == 0
