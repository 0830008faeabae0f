"""Group commit: single appends go on their own while JetStream keeps up, the overflow together.

Measured on nats-server 2.15 with `sync_interval: always` (bench, and docs/decisions/0007): 16
concurrent single publishes reach ~3,000 events/s, each waiting only for its own fsync, while an
atomic batch costs the server a few milliseconds of CPU however small it is. Batches pay off
only when large, and they spare this process a request and an answer per event.

So up to `max_in_flight` appends go to JetStream as single publishes, pipelined on the one
connection. Appends arriving while that many are in flight queue up and go together as the
next atomic batch (one at a time, up to `max_group` events). An atomic batch commits all or
nothing: if one event in it conflicts (its aggregate moved) or JetStream refuses it, the batch
is re-sent one append at a time and each caller gets its own answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from .eventlog import Append, Appended, AppendRejected, EventLog, LogUnavailable, StillStoring, WrongLastSequence

MAX_GROUP = 128
MAX_IN_FLIGHT = 24


class GroupCommitter:
    """Appends through `log`; what exceeds `max_in_flight` concurrent appends is grouped."""

    def __init__(self, log: EventLog, *, max_group: int = MAX_GROUP, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self._log = log
        self._max_group = max_group
        self._max_in_flight = max_in_flight
        self._in_flight = 0
        self._queue: list[tuple[Append, asyncio.Future[Appended]]] = []
        self._flusher: asyncio.Task | None = None

    async def append(self, item: Append) -> Appended:
        """Like `EventLog.append`; under load, sharing the commit with concurrent callers."""
        if self._in_flight < self._max_in_flight and not self._queue:
            self._in_flight += 1
            try:
                return await self._log.append(item)
            finally:
                self._in_flight -= 1
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._queue:
            group, self._queue = self._queue[: self._max_group], self._queue[self._max_group:]
            if len(group) == 1:
                await self._one(*group[0])
            else:
                await self._together(group)

    async def _one(self, item: Append, future: asyncio.Future[Appended]) -> None:
        try:
            result = await self._log.append(item)
        except Exception as error:  # handed to the caller, who decides what it means
            if not future.done():
                future.set_exception(error)
            return
        if not future.done():
            future.set_result(result)

    async def _together(self, group: Sequence[tuple[Append, asyncio.Future[Appended]]]) -> None:
        try:
            sequences = await self._log.append_atomic([item for item, _ in group])
        except (WrongLastSequence, AppendRejected, StillStoring):  # one append's trouble: each on its own
            for item, future in group:
                await self._one(item, future)
            return
        except LogUnavailable as error:
            for _, future in group:
                if not future.done():
                    future.set_exception(type(error)(str(error)))  # NotSent stays NotSent
            return
        for (_, future), sequence in zip(group, sequences):
            if not future.done():
                future.set_result(Appended(sequence=sequence, duplicate=False))
