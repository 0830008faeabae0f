"""The projection runner: a durable pull consumer whose effects and position commit together.

For each batch: BEGIN; read the stored position; apply only events above it; write the new
position; COMMIT; then ack. A crash before COMMIT redelivers the batch and nothing was written;
a crash after COMMIT but before the ack redelivers events that the position check skips. So a
projection never double-counts and never skips, whatever JetStream redelivers.

Three further guards keep that true when things go wrong:
- One runner per projection is active at a time: it holds a PostgreSQL advisory lock on the very
  connection it commits with (a second process stands by). If the connection dies, so does the
  lock, and so does any chance of committing with it.
- The runner reads the whole stream, in order, and checks that each batch continues exactly
  where the position left off (the stream is append-only and never deletes, so its sequences
  have no holes). A hole means JetStream delivered out of order (unacked messages overtaken
  after a failure); the runner then re-reads from its position instead of skipping anything.
- The consumer is (re)created at position + 1 whenever the runner binds, so the position in
  PostgreSQL, not the consumer's state, decides where reading resumes.

Transient failures (PostgreSQL or NATS unreachable) are retried with backoff. Any other error is
a poison event: the runner finds the exact event by applying the batch one event at a time,
keeps everything before it, and stops there loudly (log, metric, /readyz) instead of skipping.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg
import nats.errors
import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

from shared.db.migrations import Migration, migrate
from shared.db.pool import UNAVAILABLE as DB_UNAVAILABLE
from shared.events.envelope import StoredEvent
from shared.observability import metrics

log = structlog.get_logger(__name__)

POSITIONS_MIGRATION = Migration(1, "projection positions", """
    CREATE TABLE IF NOT EXISTS {schema}.projection_positions (
        name       text PRIMARY KEY,
        position   bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
    )""")

TRANSIENT = (*DB_UNAVAILABLE, asyncio.TimeoutError, asyncpg.SerializationError, asyncpg.DeadlockDetectedError,
             nats.errors.Error)

STANDBY_POLL_SECONDS = 1.0
LOG_BEHIND_POLL_SECONDS = 5.0
TOP_UP_SECONDS = 0.005
PULL_SECONDS = 0.005  # a pull of what is ready: answered at once, or there was nothing


class Projection(Protocol):
    """What a runner drives: a name, the aggregate types it cares about, how it applies events."""

    name: str
    aggregate_types: frozenset[str] | None  # None: every event

    async def apply(self, connection: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        """Write the effects of these events (inside the runner's transaction).

        A projection may also have `async def committed(self) -> None`, called after each commit,
        for work that cannot run inside a transaction.
        """


@dataclass
class Health:
    ok: bool = True
    reason: str | None = None


class OutOfOrder(RuntimeError):
    """A batch does not continue where the position left off."""


class LogBehind(RuntimeError):
    """The stored position is past the log's last event: this read model was built from another
    log (a data dir started on an empty store, a restore without its read models). Reading on
    would skip every new event up to the old position, so the runner stops and says so until an
    operator has put the right log back (or rebuilt the read model) and restarted the service."""

    def __init__(self, name: str, position: int, last: int) -> None:
        super().__init__(f"{name} has applied up to sequence {position:,}, but the log ends at {last:,}: "
                         "it was built from another log; see docs/operations.md (\"A read model ahead of "
                         "its log\")")
        self.position, self.last = position, last


async def read_position(connection: asyncpg.Connection | asyncpg.Pool, schema: str, name: str) -> int:
    value = await connection.fetchval(
        f'SELECT position FROM "{schema}".projection_positions WHERE name = $1', name)
    return int(value or 0)


def advisory_lock_key(schema: str, name: str) -> int:
    """The advisory lock an active runner holds (a tool that must pause the runner takes it)."""
    return int.from_bytes(hashlib.sha256(f"tilts-projection:{schema}:{name}".encode()).digest()[:8],
                          "big", signed=True)


class ProjectionRunner:
    """Runs one projection from its stored position to the head of the log, and on."""

    def __init__(self, nc: NATS, js: JetStreamContext, pool: asyncpg.Pool, *, stream: str, subjects_filter: str,
                 schema: str, projection: Projection, batch_size: int = 256, fetch_timeout: float = 1.0,
                 linger: float = 0.02) -> None:
        self._nc, self._js, self._pool = nc, js, pool
        self._stream, self._filter, self._schema = stream, subjects_filter, schema
        self._projection = projection
        self._batch_size, self._fetch_timeout, self._linger = batch_size, fetch_timeout, linger
        self.position = 0
        self.active = False
        self.health = Health(False, "starting")
        self._advanced = asyncio.Condition()
        self._task: asyncio.Task | None = None
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._connection: asyncpg.Connection | None = None
        self._stopping = asyncio.Event()
        self.log_behind: LogBehind | None = None  # set while the stored position is past the log's end

    @property
    def name(self) -> str:
        return self._projection.name

    async def prepare(self) -> None:
        """Create the position table and read the stored position."""
        async with self._pool.acquire() as connection:
            await migrate(connection, self._schema, [POSITIONS_MIGRATION])
            await connection.execute(
                f'INSERT INTO "{self._schema}".projection_positions (name) VALUES ($1) ON CONFLICT DO NOTHING',
                self.name)
            self.position = await read_position(connection, self._schema, self.name)
        metrics.PROJECTION_POSITION.labels(self.name).set(self.position)
        metrics.start_projection_series(self.name)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"projection:{self.name}")

    async def stop(self) -> None:
        """Finish the batch in hand and stop (cancelling nats-py's fetch can hang: let it time out)."""
        self._stopping.set()
        if self._task:
            await asyncio.wait({self._task}, timeout=self._fetch_timeout + 5)
            if not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=5)
        await self._deactivate()

    async def wait_for(self, sequence: int, timeout: float) -> bool:
        """Wait (bounded) until the projection has applied everything up to `sequence`."""
        deadline = time.monotonic() + timeout
        while self.position < sequence:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self.active:
                async with self._advanced:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._advanced.wait_for(lambda: self.position >= sequence),
                                               remaining)
            else:  # another process is the active runner: follow its position in the database
                await asyncio.sleep(min(0.05, remaining))
                stored = await read_position(self._pool, self._schema, self.name)
                # Read while we awaited: this runner may have become active and moved on since,
                # and its own position is the one it commits against. Never set it back.
                if not self.active:
                    self.position = max(self.position, stored)
        return True

    # --- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                if not await self._activate():
                    self.health = Health(True, None)
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), STANDBY_POLL_SECONDS)
                    continue
                subscription = await self._bind()
                self.health = Health()  # reading, even if the log is empty and nothing ever commits
                backoff = 0.2
                while not self._stopping.is_set():
                    try:
                        if not await self._consume(subscription):
                            return
                    except OutOfOrder as gap:
                        log.warning("projection.rebind", projection=self.name, reason=str(gap))
                        await self._reread_position()
                        subscription = await self._bind()
            except asyncio.CancelledError:
                raise
            except LogBehind as behind:
                if self.log_behind is None:
                    log.error("projection.log_behind", projection=self.name, position=behind.position,
                              last_sequence=behind.last)
                self.log_behind, self.health = behind, Health(False, str(behind))
                metrics.PROJECTION_AHEAD.labels(self.name).set(1)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), LOG_BEHIND_POLL_SECONDS)
            except TRANSIENT as error:
                metrics.PROJECTION_RETRIES.labels(self.name).inc()
                self.health = Health(False, f"retrying after {type(error).__name__}")
                log.warning("projection.retry", projection=self.name, error=type(error).__name__, detail=str(error))
                await self._deactivate()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, 5.0)

    async def _consume(self, subscription: JetStreamContext.PullSubscription) -> bool:
        """Fetch and handle batches until stopped (True) or stopped on a poison event (False).

        The next batch is fetched while this one commits: nats-py reads and parses it while we
        wait on PostgreSQL, which catching up on a long log spends a third of its time doing.
        Its messages stay unacknowledged until their own batch commits, as ever.
        """
        ahead = asyncio.ensure_future(self._fetch(subscription))
        try:
            while not self._stopping.is_set():
                try:
                    messages = await ahead
                except asyncio.TimeoutError:  # nothing new (nats-py raises either kind)
                    metrics.PROJECTION_LAG.labels(self.name).set(0)
                    ahead = asyncio.ensure_future(self._fetch(subscription))
                    continue
                if len(messages) < self._batch_size:
                    # Fetched while the previous batch committed, the linger may have run out
                    # before the loop could read much: take what is ready since.
                    messages = await self._top_up(subscription, messages, TOP_UP_SECONDS, gather=False)
                ahead = asyncio.ensure_future(self._fetch(subscription))
                if not await self._handle(messages):
                    return False
            return True
        finally:
            # Let a fetch in flight end by itself (cancelling nats-py's fetch can hang); what it
            # brought is left unacknowledged and is delivered again.
            if not ahead.done():
                await asyncio.wait({ahead}, timeout=self._fetch_timeout + 1)
            if ahead.done() and not ahead.cancelled():
                ahead.exception()  # retrieved, so asyncio does not warn about it
            else:
                ahead.cancel()

    async def _activate(self) -> bool:
        """Become the one active runner (advisory lock on our own commit connection)."""
        if self._connection is not None and not self._connection.is_closed():
            return True
        connection = await self._pool.acquire()
        try:
            key = advisory_lock_key(self._schema, self.name)
            if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", key):
                await self._pool.release(connection)
                self.active = False
                stored = await read_position(self._pool, self._schema, self.name)
                self.position = max(self.position, stored)
                return False
            self.position = await read_position(connection, self._schema, self.name)
        except BaseException:
            await self._pool.release(connection)
            raise
        self._connection, self.active = connection, True
        log.info("projection.active", projection=self.name, position=self.position)
        return True

    async def _reread_position(self) -> None:
        """Take the stored position again (we hold the lock: it is the truth), so a runner whose
        position went wrong recovers on the next bind rather than refusing every batch."""
        if self._connection is not None:
            self.position = await read_position(self._connection, self._schema, self.name)

    async def _deactivate(self) -> None:
        self.active = False
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):
                await connection.execute("SELECT pg_advisory_unlock_all()")
            with contextlib.suppress(Exception):
                await self._pool.release(connection)

    async def _bind(self) -> JetStreamContext.PullSubscription:
        """A fresh durable consumer starting right after our position (LogBehind if the log ends
        before it: for as long as this process runs, even once the log grows past the position,
        because its events up to there are not the ones this read model holds)."""
        if self.log_behind is not None:
            raise self.log_behind
        last = (await self._js.stream_info(self._stream)).state.last_seq
        if self.position > last:
            raise LogBehind(self.name, self.position, last)
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
        with contextlib.suppress(NotFoundError):
            await self._js.delete_consumer(self._stream, self.name)
        await self._js.add_consumer(self._stream, api.ConsumerConfig(
            durable_name=self.name, filter_subject=self._filter, ack_policy=api.AckPolicy.ALL,
            ack_wait=60, max_deliver=-1, max_ack_pending=self._batch_size * 4,
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=self.position + 1))
        self._subscription = await self._js.pull_subscribe_bind(durable=self.name, stream=self._stream)
        return self._subscription

    async def _fetch(self, subscription: JetStreamContext.PullSubscription) -> list[Msg]:
        """A batch: wait for the first event, then linger briefly so a trickle of single events
        is committed a few dozen at a time rather than one transaction each.

        The wait is for one event: nats-py's fetch of n > 1, once its request lingers on the
        server, returns only when n arrive or the whole timeout passes, so an event published
        just as the runner started waiting sat there for the full `fetch_timeout` (~1% of
        single writes took a second to become readable). The linger then takes what else is there.
        """
        messages = await subscription.fetch(1, timeout=self._fetch_timeout)
        return await self._top_up(subscription, messages, self._linger)

    async def _top_up(self, subscription: JetStreamContext.PullSubscription, messages: list[Msg],
                      linger: float, *, gather: bool = True) -> list[Msg]:
        """Add what else is ready within `linger`, up to a full batch.

        While the consumer holds more than it has delivered (a backlog), pull again at once. Once
        it has handed over everything, `gather` lets a trickle gather for the rest of the linger
        and takes it in one pull. (Pulling again and again meanwhile had each event delivered on
        its own: measured with one writer, a sixth of the intake's CPU and a quarter of NATS's.)
        """
        deadline = time.monotonic() + linger
        while len(messages) < self._batch_size and (remaining := deadline - time.monotonic()) > 0.001:
            if not messages[-1].metadata.num_pending:
                if gather:
                    await asyncio.sleep(remaining)
                    messages = await self._pull_ready(subscription, messages)
                break
            messages = await self._pull_ready(subscription, messages)
        return messages

    async def _pull_ready(self, subscription: JetStreamContext.PullSubscription,
                          messages: list[Msg]) -> list[Msg]:
        """`messages` and what the consumer has ready now, up to a full batch.

        What a pull brings after its short timeout waits in nats-py's queue and comes with the next
        pull, which can make that batch a little larger than `batch_size`; the order holds.
        """
        if len(messages) >= self._batch_size:
            return messages
        try:
            return messages + await subscription.fetch(self._batch_size - len(messages), timeout=PULL_SECONDS)
        except asyncio.TimeoutError:  # nothing ready (what arrives late is taken by the next pull)
            return messages

    async def _handle(self, messages: list[Msg]) -> bool:
        """Apply a fetched batch; False when the projection had to stop on a poison event."""
        try:
            events = [StoredEvent.from_payload(m.data, m.metadata.sequence.stream) for m in messages]
        except ValueError:
            return await self._isolate_poison(messages)
        try:
            await self._commit(events)
        except (OutOfOrder, *TRANSIENT):
            raise
        except Exception:
            return await self._isolate_poison(messages)
        await self._acknowledge(messages)
        return True

    def _wanted(self, events: Sequence[StoredEvent]) -> list[StoredEvent]:
        types = self._projection.aggregate_types
        return list(events) if types is None else [e for e in events if e.aggregatetype in types]

    async def _commit(self, events: Sequence[StoredEvent]) -> None:
        connection = self._connection
        if connection is None:
            raise asyncpg.InterfaceError("the runner is not active")
        async with connection.transaction():
            # We hold the projection's lock, so our position is the stored one; the update below
            # still checks it, so a second writer could never go unnoticed.
            position = self.position
            fresh = [e for e in events if (e.sequence or 0) > position]
            expected = position + 1
            for event in fresh:
                if event.sequence != expected:
                    raise OutOfOrder(f"expected sequence {expected}, got {event.sequence}")
                expected += 1
            if fresh:
                wanted = self._wanted(fresh)
                if wanted:
                    await self._projection.apply(connection, wanted)
                status = await connection.execute(
                    f'UPDATE "{self._schema}".projection_positions SET position = $2, updated_at = now()'
                    " WHERE name = $1 AND position = $3", self.name, fresh[-1].sequence, position)
                if status != "UPDATE 1":
                    raise OutOfOrder(f"the stored position of {self.name} is no longer {position}")
                position = fresh[-1].sequence
        committed = getattr(self._projection, "committed", None)
        if committed is not None and fresh:
            await committed()
        await self._advance(position, len(fresh))

    async def _advance(self, position: int, applied: int) -> None:
        async with self._advanced:
            self.position = max(self.position, position)
            self._advanced.notify_all()
        self.health = Health()
        metrics.PROJECTION_POSITION.labels(self.name).set(self.position)
        metrics.PROJECTION_EVENTS.labels(self.name).inc(applied)

    async def _acknowledge(self, messages: list[Msg]) -> None:
        # The consumer acks all-up-to (AckPolicy.ALL): events arrive and commit in order, so one
        # ack for the batch's last message covers the batch, and saves JetStream an ack per event.
        if messages:
            await messages[-1].ack()
            metrics.PROJECTION_LAG.labels(self.name).set(messages[-1].metadata.num_pending)

    async def _isolate_poison(self, messages: list[Msg]) -> bool:
        for message in messages:
            sequence = message.metadata.sequence.stream
            try:
                await self._commit([StoredEvent.from_payload(message.data, sequence)])
            except (OutOfOrder, *TRANSIENT):
                raise
            except Exception as error:
                self.health = Health(False, f"stopped at poison event sequence {sequence}: "
                                            f"{type(error).__name__}: {error}")
                metrics.PROJECTION_POISONED.labels(self.name).set(1)
                log.error("projection.poison", projection=self.name, sequence=sequence,
                          error=type(error).__name__, detail=str(error))
                return False
            await message.ack()
        return True
