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


async def test_a_sharer_does_not_wait_for_a_writer_that_only_waits() -> None:
    lock = SharedLock()
    await lock.acquire(False)
    writer = asyncio.ensure_future(lock.acquire(True))
    await asyncio.sleep(0)
    await asyncio.wait_for(lock.acquire(False), 1)  # not behind the waiting writer
    assert not writer.done()
    lock.release(False)
    lock.release(False)
    await asyncio.wait_for(writer, 1)
    reader = asyncio.ensure_future(lock.acquire(False))
    await asyncio.sleep(0)
    assert not reader.done()  # a writer that holds it is waited for
    lock.release(True)
    await asyncio.wait_for(reader, 1)


async def test_three_ordinary_requests_do_not_deadlock() -> None:
    # A cooperation shares its mediator, then (once its case is read) the case's family; a
    # person.added holds the family alone and shares the mediator; the mediator's re-registration
    # waits to hold the mediator alone. FIFO-fair sharing made these three wait for each other.
    table = LockTable()
    mediator, family = AggregateRef("mediator", "m1"), AggregateRef("family", "f1")
    cooperation, person, registration = table.holds(wait=True), table.holds(wait=True), table.holds(wait=True)
    await cooperation.share(mediator)
    registering = asyncio.ensure_future(registration.alone(mediator))
    await asyncio.sleep(0)
    await person.alone(family)
    await asyncio.wait_for(person.share(mediator), 1)
    sharing = asyncio.ensure_future(cooperation.share(family))
    await asyncio.sleep(0)
    assert not sharing.done()
    person.release()
    await asyncio.wait_for(sharing, 1)
    cooperation.release()
    await asyncio.wait_for(registering, 1)
    registration.release()
    assert len(table) == 0


async def test_a_waiter_woken_and_dropped_while_it_gives_up_leaves_no_error() -> None:
    lock = SharedLock()
    await lock.acquire(True)
    first, second = asyncio.ensure_future(lock.acquire(True)), asyncio.ensure_future(lock.acquire(True))
    await asyncio.sleep(0)
    first.cancel()
    second.cancel()
    lock.release(True)  # wakes: drops the cancelled waiters from the queue
    for waiter in (first, second):
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert lock.idle


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
