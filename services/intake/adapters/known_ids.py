"""Which event ids the event index may hold: a Bloom filter kept in step with the index.

Every new event is checked against the event index (an id may never be reused, not even for
another aggregate and not even after JetStream's duplicate window). Almost every id is new, and a
PostgreSQL round trip per event to learn so cost about a tenth of the intake's CPU. The filter
answers "certainly not indexed" from memory; only a "maybe" (an indexed id, or a false positive
about once in a thousand) is looked up in PostgreSQL, as before.

The same refresh tells the aggregate cache which aggregates gained events (`on_indexed`), so a
state another intake process changed is not decided on for more than about a second.

The filter is loaded from the index and then follows it by sequence every `refresh_seconds`. It
is trusted only while its last refresh is recent: until it is loaded, and whenever PostgreSQL has
not answered for `stale_after` seconds, every id counts as "maybe", so the check falls back to
the index itself. An id stored since the last refresh is not in the filter yet, but JetStream's
duplicate window (minutes) still recognises it: keep `stale_after` well inside that window.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import asyncpg
import structlog
from rbloom import Bloom

from shared.db.pool import UNAVAILABLE as DB_UNAVAILABLE
from shared.events.base import AggregateRef

log = structlog.get_logger(__name__)

FALSE_POSITIVE_RATE = 0.001
MIN_CAPACITY = 1_000_000  # ~1.8 MB of filter; doubled (and reloaded) whenever the index outgrows it


class KnownEventIds:
    """A Bloom filter of the event index's ids, refreshed from PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool, schema: str, *, refresh_seconds: float = 1.0,
                 stale_after: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 on_indexed: Callable[[AggregateRef, int], None] | None = None) -> None:
        self._pool = pool
        self._on_indexed = on_indexed  # told of each event indexed since the filter was loaded
        self._table = f'"{schema}".events'
        self._refresh_seconds = refresh_seconds
        self._stale_after = stale_after
        self._clock = clock
        self._bloom: Bloom | None = None
        self._capacity = MIN_CAPACITY
        self._count = 0
        self._last_sequence = 0
        self._refreshed_at = float("-inf")
        self._task: asyncio.Task | None = None

    @property
    def capacity(self) -> int:
        """How many ids the filter is sized for (at the false-positive rate above)."""
        return self._capacity

    @property
    def count(self) -> int:
        """How many ids it holds."""
        return self._count

    def refreshed_within(self, seconds: float) -> bool:
        """Whether the last refresh (and so the last `on_indexed` news) is that recent."""
        return self._clock() - self._refreshed_at <= seconds

    def may_contain(self, event_id: str) -> bool:
        """False only if the index certainly did not hold `event_id` at the last refresh."""
        if self._bloom is None or self._clock() - self._refreshed_at > self._stale_after:
            return True
        return event_id in self._bloom

    async def refresh(self) -> None:
        """Take in what the index gained since the last refresh (the whole index the first time)."""
        told_since = self._last_sequence if self._bloom is not None else None  # the first load tells nothing
        if self._bloom is None:
            self._capacity = max(MIN_CAPACITY, 2 * await self._pool.fetchval(f"SELECT count(*) FROM {self._table}"))
            self._bloom, self._count, self._last_sequence = Bloom(self._capacity, FALSE_POSITIVE_RATE), 0, 0
        async with self._pool.acquire() as connection, connection.transaction(readonly=True):
            async for row in connection.cursor(
                    f"SELECT event_id, sequence, aggregate_type, aggregate_id FROM {self._table} "
                    "WHERE sequence > $1 ORDER BY sequence", self._last_sequence, prefetch=10_000):
                self._bloom.add(row["event_id"])
                self._count += 1
                self._last_sequence = row["sequence"]
                if self._on_indexed is not None and told_since is not None and row["sequence"] > told_since:
                    self._on_indexed(AggregateRef(row["aggregate_type"], row["aggregate_id"]), row["sequence"])
        self._refreshed_at = self._clock()
        if self._count > self._capacity:  # past its size the false positives climb: start over bigger
            self._bloom = None
            await self.refresh()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="known-event-ids")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the check falls back to the index once the filter is stale
                log.warning("known_ids.refresh_failed", error=type(error).__name__,
                            unavailable=isinstance(error, DB_UNAVAILABLE))
            await asyncio.sleep(self._refresh_seconds)
