"""Holds on aggregates: many share, one holds alone, waiters are served in turn."""

from __future__ import annotations

import asyncio

import pytest

from services.intake.adapters.holds import Busy, Holds, HoldTimeout, LockTable, SharedLock
from shared.events.base import AggregateRef

FAMILY = AggregateRef("family", "f1")


async def test_sharers_do_not_wait_for_each_other_and_a_writer_waits_for_them() -> None:
    lock = SharedLock()
    await lock.acquire(False)
    await lock.acquire(False)
    writer = asyncio.ensure_future(lock.acquire(True))
    await asyncio.sleep(0)
    assert not writer.done()
    lock.release(False)
    await asyncio.sleep(0)
    assert not writer.done()
    lock.release(False)
    await asyncio.wait_for(writer, 1)


async def test_a_sharer_arriving_after_a_waiting_writer_waits_its_turn() -> None:
    lock = SharedLock()
    await lock.acquire(False)
    writer = asyncio.ensure_future(lock.acquire(True))
    reader = asyncio.ensure_future(lock.acquire(False))
    await asyncio.sleep(0)
    assert not writer.done() and not reader.done()
    lock.release(False)
    await asyncio.wait_for(writer, 1)
    await asyncio.sleep(0)
    assert not reader.done()
    lock.release(True)
    await asyncio.wait_for(reader, 1)


async def test_a_waiter_that_gives_up_leaves_the_lock_usable() -> None:
    lock = SharedLock()
    await lock.acquire(True)
    waiter = asyncio.ensure_future(lock.acquire(True))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    lock.release(True)
    assert lock.try_acquire(True)


async def test_a_batch_does_not_wait_and_releases_what_it_took() -> None:
    table = LockTable()
    single = table.holds(wait=True)
    await single.alone(FAMILY)
    batch = table.holds(wait=False)
    with pytest.raises(Busy):
        await batch.share(FAMILY)
    single.release()
    await batch.share(FAMILY)
    await batch.share(FAMILY)  # already held: nothing more
    batch.release()
    assert table.lock(FAMILY).try_acquire(True)


async def test_a_hold_not_granted_in_time_gives_up() -> None:
    table = LockTable()
    first = table.holds(wait=True)
    await first.alone(FAMILY)
    patient = Holds(table, wait=True, timeout=0.05)
    with pytest.raises(HoldTimeout):
        await patient.share(FAMILY)
    first.release()
    assert table.lock(FAMILY).try_acquire(True)


async def test_locks_no_one_holds_or_waits_for_are_dropped() -> None:
    table = LockTable()
    writer, batch = table.holds(wait=True), table.holds(wait=False)
    await writer.alone(FAMILY)
    with pytest.raises(Busy):
        await batch.share(FAMILY)
    waiter = Holds(table, wait=True, timeout=0.05)
    with pytest.raises(HoldTimeout):
        await waiter.share(FAMILY)
    assert len(table) == 1
    writer.release()
    assert len(table) == 0
