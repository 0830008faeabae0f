"""Holds on aggregates while this process decides and appends: a write to an aggregate holds it
alone; a decision that rests on another aggregate's state (the family is not erased, the case is
open, the mediator works in this municipality) holds that one shared.

Every append is conditional on its own aggregate only, so the log cannot tell that an activity
was decided on a family that another request was erasing at that moment. Within one process,
these holds make the two wait for each other: the erasure waits for appends decided on the
family as it was, and decisions wait for the erasure and then see it. (Across processes, a
cached reference is brought up to date once the event index shows that it changed: see
`aggregates.py`.)

Deadlocks cannot form:
- Only a request that holds nothing waits to hold an aggregate alone: a single write takes its
  own aggregate first. A batch never waits while it holds anything: it takes every hold at once,
  or lets go and goes one event at a time.
- Sharing waits only for a writer that holds the aggregate, never for one that waits: a writer
  in the queue would otherwise stand between a request and an aggregate it shares, while that
  request holds what the writer's holder needs (a cooperation sharing its mediator, then its
  case's family; the family's writer sharing the mediator; the mediator's re-registration
  waiting for the first). So a writer waits for the sharers to go (a mediator's own posting
  delays her re-registration, by at most the hold timeout).
- What a write shares never leads back to what another write holds alone: a write's aggregate
  is never shared by writes to what it refers to (an activity's case is not referred to by its
  family, a family not by its mediator, a mediator not by its municipality).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from shared.events.base import AggregateRef


class Busy(Exception):
    """A batch could not take a hold at once (another request holds the aggregate)."""


class HoldTimeout(Exception):
    """A hold was not granted in time: the aggregate is that busy (not a TimeoutError, which
    callers read as a dependency not answering)."""


class SharedLock:
    """Held by one writer alone or by many sharing readers. Readers never wait for a waiting
    writer (see the module's note on deadlocks); writers are served in turn."""

    def __init__(self) -> None:
        self._readers = 0
        self._writer = False
        self._waiting_readers: list[asyncio.Future[None]] = []
        self._waiting_writers: deque[asyncio.Future[None]] = deque()

    def try_acquire(self, exclusive: bool) -> bool:
        if exclusive:
            if self._writer or self._readers or self._waiting_writers:
                return False
            self._writer = True
        else:
            if self._writer:
                return False
            self._readers += 1
        return True

    async def acquire(self, exclusive: bool) -> None:
        if self.try_acquire(exclusive):
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiting_writers if exclusive else self._waiting_readers
        queue.append(granted)
        try:
            await granted
        except BaseException:
            if granted.done() and not granted.cancelled():
                self.release(exclusive)  # granted just as the waiter gave up
            else:
                granted.cancel()
                with contextlib.suppress(ValueError):  # a wake may have dropped it already
                    queue.remove(granted)
                self._wake()
            raise

    @property
    def idle(self) -> bool:
        """No one holds it and no one waits for it."""
        return not (self._writer or self._readers or self._waiting_readers or self._waiting_writers)

    def release(self, exclusive: bool) -> None:
        if exclusive:
            self._writer = False
        else:
            self._readers -= 1
        self._wake()

    def _wake(self) -> None:
        if self._writer:
            return
        readers, self._waiting_readers = self._waiting_readers, []
        for granted in readers:
            if not granted.done():
                self._readers += 1
                granted.set_result(None)
        while self._readers == 0 and self._waiting_writers:
            granted = self._waiting_writers.popleft()
            if not granted.done():
                self._writer = True
                granted.set_result(None)
                return


class Holds:
    """The holds one request has taken, released together when it is answered.

    `wait=False` (batches): a hold that cannot be taken at once raises Busy. Sharing what the
    request already holds (its own targets, held alone) changes nothing.
    """

    def __init__(self, locks: LockTable, *, wait: bool, timeout: float = 30.0) -> None:
        self._locks, self._wait, self._timeout = locks, wait, timeout
        self._held: dict[AggregateRef, tuple[SharedLock, bool]] = {}

    async def alone(self, ref: AggregateRef) -> None:
        """Hold `ref` alone (a target of this request)."""
        await self._take(ref, exclusive=True)

    async def share(self, ref: AggregateRef) -> None:
        """Hold `ref` shared (a reference this request's decision rests on)."""
        if ref not in self._held:
            await self._take(ref, exclusive=False)

    async def _take(self, ref: AggregateRef, *, exclusive: bool) -> None:
        lock = self._locks.lock(ref)
        if not lock.try_acquire(exclusive):  # the usual case takes no timer
            if not self._wait:
                self._locks.drop_if_idle(ref, lock)
                raise Busy(f"{ref.type}/{ref.id}")
            try:
                async with asyncio.timeout(self._timeout):
                    await lock.acquire(exclusive)
            except TimeoutError:
                self._locks.drop_if_idle(ref, lock)
                raise HoldTimeout(f"{ref.type}/{ref.id}") from None
            except BaseException:
                self._locks.drop_if_idle(ref, lock)
                raise
        self._held[ref] = (lock, exclusive)

    def release(self) -> None:
        for ref, (lock, exclusive) in self._held.items():
            lock.release(exclusive)
            self._locks.drop_if_idle(ref, lock)
        self._held.clear()


class LockTable:
    """One SharedLock per aggregate in use; a lock no one holds or waits for is dropped."""

    def __init__(self) -> None:
        self._locks: dict[AggregateRef, SharedLock] = {}

    def __len__(self) -> int:
        return len(self._locks)

    def drop_if_idle(self, ref: AggregateRef, lock: SharedLock) -> None:
        if lock.idle and self._locks.get(ref) is lock:
            del self._locks[ref]

    def lock(self, ref: AggregateRef) -> SharedLock:
        lock = self._locks.get(ref)
        if lock is None:
            lock = self._locks[ref] = SharedLock()
        return lock

    def holds(self, *, wait: bool) -> Holds:
        """A new set of holds for one request."""
        return Holds(self, wait=wait)
