"""The notary: one ordered reader of the whole log that keeps signed Merkle checkpoints of it.

It resumes from the last checkpoint's frontier (nothing is re-read), reads the events after it
in sequence order — the leaf for sequence s is its stored bytes, leaf index s - 1 — and appends
a checkpoint every `max_events` events, and once `interval` seconds have passed since the last
one if there are new events. It looks at the log every half second at most (see LOOK_SECONDS).

There is one line of checkpoints whatever runs: an append is stored only if the checkpoint
stream still ends where this notary resumed (store.py), so a second notary's checkpoint is
refused and it resumes from the newer one. To spare standbys the hashing, the notary that works
holds a PostgreSQL advisory lock, as projection runners do (docs/decisions/0005).

A notary stops loudly (log, metric, /readyz) rather than sign what it cannot vouch for: a last
checkpoint it did not sign or whose frontier does not fold to its root, a log shorter than the
last checkpoint, a hole in the log's sequences.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable
from contextlib import aclosing
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import asyncpg
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge

from shared.audit.reader import ReadInterrupted, last_sequence
from shared.bus.eventlog import LogUnavailable
from shared.bus.projection import TRANSIENT, Health

from .keys import NotarySigner, key_path
from .merkle import Frontier, leaf_hash
from .reading import read_direct
from .store import CheckpointConflict, CheckpointStore

if TYPE_CHECKING:
    from shared.runtime import Runtime

log = structlog.get_logger(__name__)

SIZE = Gauge("tilts_notary_size", "Events covered by the last signed checkpoint")
LAG = Gauge("tilts_notary_lag_events", "Events in the log not yet covered by a checkpoint")
CHECKPOINTS = Counter("tilts_notary_checkpoints_total", "Checkpoints signed and appended")
HALTED = Gauge("tilts_notary_halted", "1 while the notary is stopped on something it cannot vouch for")

STANDBY_POLL_SECONDS = 1.0
# The notary shares the intake's event loop with the requests. Read in one go every few seconds,
# the events appended meanwhile held that loop for a few hundred milliseconds (at ~900 events/s),
# and every request in that stretch waited: a burst of slow answers every five seconds, which was
# what the intake's 99th percentile measured. So it looks often, reads small batches with a pause
# between them, and still signs on the configured cadence (a checkpoint per `interval`, or per
# `max_events`). Catching up on a backlog is paced too (several thousand events/s).
LOOK_SECONDS = 0.5
READ_BATCH = 64     # nats-py parses one in ~3-4 ms of the loop
READ_PAUSE = 0.005  # between batches
RETRYABLE = (*TRANSIENT, ReadInterrupted, LogUnavailable)


class NotaryHalted(RuntimeError):
    """The notary cannot go on without signing something it cannot vouch for."""


def lock_key(stream: str) -> int:
    """The advisory lock the working notary of a log holds."""
    return int.from_bytes(hashlib.sha256(f"tilts-notary:{stream}".encode()).digest()[:8], "big", signed=True)


class Notary:
    """Keeps the checkpoint stream of one log up to date while it runs."""

    def __init__(self, nc: NATS, js: JetStreamContext, pool: asyncpg.Pool, store: CheckpointStore,
                 signer: NotarySigner, *, stream: str, interval: float, max_events: int,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._nc, self._js, self._pool, self._store, self._signer = nc, js, pool, store, signer
        self._stream, self._interval, self._max_events, self._clock = stream, interval, max_events, clock
        self._frontier = Frontier()
        self._number = 0          # the last checkpoint's number (0: none yet)
        self._checkpointed = 0    # ...and its size
        self._signed_at = float("-inf")  # when this notary last signed one (monotonic)
        self.active = False
        self.health = Health(False, "starting")
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    @property
    def size(self) -> int:
        """Events covered by the last checkpoint this notary knows of."""
        return self._checkpointed

    async def prepare(self) -> None:
        """Create the checkpoint stream (or check an existing one)."""
        await self._store.ensure()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"notary:{self._stream}")

    async def stop(self) -> None:
        """Finish the checkpoint in hand and stop."""
        self._stopping.set()
        if self._task:
            await asyncio.wait({self._task}, timeout=15)
            if not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=5)
        await self._deactivate()

    async def wait_for(self, size: int, timeout: float) -> bool:
        """Wait (bounded) until a checkpoint covers at least `size` events."""
        deadline = time.monotonic() + timeout
        while self._checkpointed < size:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    # --- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                if not await self._activate():
                    self.health = Health()  # standing by is healthy
                    await self._pause(STANDBY_POLL_SECONDS)
                    continue
                await self._resume()
                self.health, backoff = Health(), 0.2
                while not self._stopping.is_set():
                    await self._connection.fetchval("SELECT 1")  # type: ignore[union-attr]  # still holding the lock?
                    await self._notarise()
                    await self._pause(min(self._interval, LOOK_SECONDS))
            except asyncio.CancelledError:
                raise
            except CheckpointConflict as conflict:
                log.warning("notary.conflict", stream=self._stream, detail=str(conflict))  # resume from theirs
            except NotaryHalted as error:
                await self._halt(str(error))
                return
            except RETRYABLE as error:
                self.health = Health(False, f"retrying after {type(error).__name__}")
                log.warning("notary.retry", stream=self._stream, error=type(error).__name__, detail=str(error))
                await self._deactivate()
                await self._pause(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception as error:  # a bug: stop where it happened rather than spin
                await self._halt(f"{type(error).__name__}: {error}")
                return

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _halt(self, reason: str) -> None:
        self.health = Health(False, f"stopped: {reason}")
        HALTED.set(1)
        log.error("notary.halted", stream=self._stream, reason=reason)
        await self._deactivate()

    async def _activate(self) -> bool:
        """Become the one working notary (an advisory lock on a connection we keep)."""
        if self._connection is not None and not self._connection.is_closed():
            return True
        connection = await self._pool.acquire()
        try:
            locked = await connection.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(self._stream))
        except BaseException:
            await self._pool.release(connection)
            raise
        if not locked:
            await self._pool.release(connection)
            self.active = False
            return False
        self._connection, self.active = connection, True
        log.info("notary.active", stream=self._stream)
        return True

    async def _deactivate(self) -> None:
        self.active = False
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):  # pooled connections keep no session state
                await connection.execute("SELECT pg_advisory_unlock_all()")
            with contextlib.suppress(Exception):
                await self._pool.release(connection)

    async def _resume(self) -> None:
        """Continue from the last checkpoint, after checking it is one we can extend."""
        latest = await self._store.latest()
        if latest is None:
            self._frontier, self._number, self._checkpointed = Frontier(), 0, 0
            return
        checkpoint = latest.checkpoint
        if checkpoint is None:
            raise NotaryHalted(f"checkpoint {latest.number} is unreadable: {latest.unreadable}")
        if checkpoint.log != self._stream:
            raise NotaryHalted(f"checkpoint {latest.number} is of log {checkpoint.log}, not {self._stream}")
        if not self._signer.key.verifies(checkpoint):
            raise NotaryHalted(f"checkpoint {latest.number} was not signed by this notary's key "
                               f"(key id {self._signer.key.key_id.hex()}): restore the key that signed it")
        problem = checkpoint.frontier_problem()
        if problem:
            raise NotaryHalted(f"checkpoint {latest.number}: {problem}")
        self._frontier = Frontier(checkpoint.size, checkpoint.frontier)
        self._number, self._checkpointed = latest.number, checkpoint.size
        SIZE.set(checkpoint.size)
        HALTED.set(0)
        log.info("notary.resumed", stream=self._stream, checkpoint=latest.number, size=checkpoint.size)

    async def _notarise(self) -> None:
        """Hash the events the log gained since the last look; checkpoint them."""
        frontier, last = self._frontier, await last_sequence(self._js, self._stream)
        if last < frontier.size:
            raise NotaryHalted(f"the log ends at sequence {last:,} but checkpoint {self._number} covers "
                               f"{frontier.size:,} events: it was cut short or replaced")
        records = read_direct(self._nc, stream=self._stream, first=frontier.size + 1, last=last, batch=READ_BATCH,
                              pause=READ_PAUSE)
        async with aclosing(records):
            async for record in records:
                if record.sequence != frontier.size + 1:
                    raise NotaryHalted(f"sequence {frontier.size + 1:,} is missing from the log "
                                       f"(the next one is {record.sequence:,})")
                frontier.append(leaf_hash(record.payload))
                if frontier.size - self._checkpointed >= self._max_events:
                    await self._checkpoint()
                    if self._stopping.is_set():
                        break
        if frontier.size > self._checkpointed and time.monotonic() - self._signed_at >= self._interval:
            await self._checkpoint()
        LAG.set(max(last - self._checkpointed, 0))

    async def _checkpoint(self) -> None:
        checkpoint = self._signer.sign(self._frontier, self._clock())
        self._number = await self._store.append(checkpoint, after=self._number)
        self._checkpointed = checkpoint.size
        self._signed_at = time.monotonic()
        SIZE.set(checkpoint.size)
        CHECKPOINTS.inc()
        log.debug("notary.checkpoint", stream=self._stream, checkpoint=self._number, size=checkpoint.size)


def notary_for(runtime: Runtime) -> Notary:
    """The notary of a service's log, with the data dir's notary key."""
    settings = runtime.settings
    store = CheckpointStore(runtime.js, log_stream=settings.stream_name, subject_prefix=settings.subject_prefix,
                            replicas=settings.stream_replicas)
    signer = NotarySigner.from_settings(settings)
    log.debug("notary.key", path=str(key_path(settings)), key_id=signer.key.key_id.hex())
    return Notary(runtime.nc, runtime.js, runtime.pool, store, signer, stream=settings.stream_name,
                  interval=settings.notary_interval_seconds, max_events=settings.notary_max_events)
