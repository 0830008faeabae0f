"""The projection runner: a durable pull consumer whose effects and position commit together.

For each batch: BEGIN; read the stored position; apply only events above it; write the new
position; COMMIT; then ack. A crash before COMMIT redelivers the batch and nothing was written;
a crash after COMMIT but before the ack redelivers events that the position check skips. So a
projection never double-counts and never skips, whatever JetStream redelivers.

Transient failures (PostgreSQL or NATS unreachable) are retried with backoff. Any other error is
a poison event: the runner finds the exact event by applying the batch one event at a time,
keeps everything before it, and stops there loudly (log, metric, /readyz) instead of skipping.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from shared.events.envelope import StoredEvent
from shared.observability import metrics

log = structlog.get_logger(__name__)

POSITIONS_MIGRATION = Migration(1, "projection positions", """
    CREATE TABLE IF NOT EXISTS {schema}.projection_positions (
        name       text PRIMARY KEY,
        position   bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
    )""")

TRANSIENT = (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
             asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError,
             asyncpg.SerializationError, asyncpg.DeadlockDetectedError, asyncpg.AdminShutdownError,
             nats.errors.Error)


class Projection(Protocol):
    """What a runner drives: a name, the subjects it reads and how it applies events."""

    name: str
    filter_subjects: Sequence[str]

    async def apply(self, connection: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        """Write the effects of these events (inside the runner's transaction)."""


@dataclass
class Health:
    ok: bool = True
    reason: str | None = None


async def read_position(connection: asyncpg.Connection, schema: str, name: str) -> int:
    value = await connection.fetchval(
        f'SELECT position FROM "{schema}".projection_positions WHERE name = $1', name)
    return int(value or 0)


class ProjectionRunner:
    """Runs one projection from its stored position to the head of the log, and on."""

    def __init__(self, nc: NATS, js: JetStreamContext, pool: asyncpg.Pool, *, stream: str, schema: str,
                 projection: Projection, batch_size: int = 256, fetch_timeout: float = 1.0,
                 consumer_name: str | None = None) -> None:
        self._nc, self._js, self._pool = nc, js, pool
        self._stream, self._schema, self._projection = stream, schema, projection
        self._batch_size, self._fetch_timeout = batch_size, fetch_timeout
        self._consumer = consumer_name or f"{projection.name}"
        self.position = 0
        self.health = Health()
        self._advanced = asyncio.Condition()
        self._task: asyncio.Task | None = None
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._stopping = asyncio.Event()

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

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"projection:{self.name}")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()

    async def wait_for(self, sequence: int, timeout: float) -> bool:
        """Wait until the projection has applied `sequence` (or the log holds nothing more)."""
        async with self._advanced:
            try:
                await asyncio.wait_for(self._advanced.wait_for(lambda: self.position >= sequence), timeout)
            except asyncio.TimeoutError:
                return False
        return True

    async def _bind(self) -> JetStreamContext.PullSubscription:
        """Bind to the durable consumer, (re)creating it to start just after our position.

        The position in PostgreSQL is the truth. If the consumer is missing, or has acked past
        our position (the database was restored from an older backup), it is recreated.
        """
        try:
            info = await self._js.consumer_info(self._stream, self._consumer)
            if info.ack_floor.stream_seq > self.position:
                log.warning("projection.consumer_ahead", projection=self.name,
                            consumer_floor=info.ack_floor.stream_seq, position=self.position)
                await self._js.delete_consumer(self._stream, self._consumer)
                raise NotFoundError
        except NotFoundError:
            await self._js.add_consumer(self._stream, api.ConsumerConfig(
                durable_name=self._consumer, filter_subjects=list(self._projection.filter_subjects),
                ack_policy=api.AckPolicy.EXPLICIT, ack_wait=60, max_deliver=-1,
                max_ack_pending=self._batch_size * 8,
                deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=self.position + 1))
        return await self._js.pull_subscribe_bind(durable=self._consumer, stream=self._stream)

    async def _run(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                subscription = self._subscription = await self._bind()
                backoff = 0.2
                while not self._stopping.is_set():
                    try:
                        messages = await subscription.fetch(self._batch_size, timeout=self._fetch_timeout)
                    except nats.errors.TimeoutError:
                        metrics.PROJECTION_LAG.labels(self.name).set(0)
                        continue
                    if not await self._handle(messages):
                        return
            except asyncio.CancelledError:
                raise
            except TRANSIENT as error:
                metrics.PROJECTION_RETRIES.labels(self.name).inc()
                self.health = Health(False, f"retrying after {type(error).__name__}")
                log.warning("projection.retry", projection=self.name, error=type(error).__name__, detail=str(error))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _handle(self, messages: list[Msg]) -> bool:
        """Apply a fetched batch; False when the projection had to stop on a poison event."""
        try:
            events = [StoredEvent.from_payload(m.data, m.metadata.sequence.stream) for m in messages]
        except ValueError:
            return await self._isolate_poison(messages)
        try:
            await self._commit(events)
        except TRANSIENT:
            raise
        except Exception:
            return await self._isolate_poison(messages)
        await self._acknowledge(messages)
        return True

    async def _commit(self, events: Sequence[StoredEvent]) -> None:
        async with self._pool.acquire() as connection, connection.transaction():
            position = await connection.fetchval(
                f'SELECT position FROM "{self._schema}".projection_positions WHERE name = $1 FOR UPDATE',
                self.name)
            fresh = [e for e in events if (e.sequence or 0) > position]
            if fresh:
                await self._projection.apply(connection, fresh)
                position = fresh[-1].sequence
                await connection.execute(
                    f'UPDATE "{self._schema}".projection_positions SET position = $2, updated_at = now()'
                    " WHERE name = $1", self.name, position)
        await self._advance(position, len(fresh))

    async def _advance(self, position: int, applied: int) -> None:
        async with self._advanced:
            self.position = max(self.position, position)
            self._advanced.notify_all()
        self.health = Health()
        metrics.PROJECTION_POSITION.labels(self.name).set(self.position)
        metrics.PROJECTION_EVENTS.labels(self.name).inc(applied)

    async def _acknowledge(self, messages: list[Msg]) -> None:
        for message in messages:
            await message.ack()
        if messages:
            metrics.PROJECTION_LAG.labels(self.name).set(messages[-1].metadata.num_pending)

    async def _isolate_poison(self, messages: list[Msg]) -> bool:
        for message in messages:
            sequence = message.metadata.sequence.stream
            try:
                await self._commit([StoredEvent.from_payload(message.data, sequence)])
            except TRANSIENT:
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
