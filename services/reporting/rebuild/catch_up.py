"""Projecting a stretch of the log into a schema, batch by batch, with the same code as the live runner."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from shared.audit import read_log
from shared.bus.eventlog import EventLog
from shared.db.migrations import migrate
from shared.events.envelope import StoredEvent
from services.reporting.projections.projection import PROJECTION_NAME, ReportingProjection
from services.reporting.projections.schema import MIGRATIONS
from services.reporting.queries import registry
from services.reporting.queries.sql import qualified

BATCH = 1000

Progress = Callable[[int], None]  # called with the last sequence applied


class LogGap(RuntimeError):
    """The log did not continue at the next sequence."""


async def create_schema(pool: asyncpg.Pool, schema: str) -> None:
    """A fresh schema with every read-model table, at position 0."""
    async with pool.acquire() as connection:
        await migrate(connection, schema, MIGRATIONS)
        await connection.execute(qualified(
            "INSERT INTO {s}.projection_positions (name) VALUES ($1) ON CONFLICT DO NOTHING", schema), PROJECTION_NAME)


async def _commit(pool: asyncpg.Pool, projection: ReportingProjection, events: list[StoredEvent]) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await projection.apply(connection, events)
        status = await connection.execute(qualified(
            "UPDATE {s}.projection_positions SET position = $2, updated_at = now() WHERE name = $1 AND position = $3",
            projection.schema), PROJECTION_NAME, events[-1].sequence, events[0].sequence - 1)
        if status != "UPDATE 1":
            raise LogGap(f"{projection.schema} is no longer at sequence {events[0].sequence - 1}")


async def project(pool: asyncpg.Pool, log: EventLog, schema: str, last: int,
                  progress: Progress = lambda _: None) -> int:
    """Apply every event after the schema's position up to `last`; the new position."""
    projection = ReportingProjection(schema)
    position = await registry.position(pool, schema, PROJECTION_NAME)
    pending: list[StoredEvent] = []
    async for record in read_log(log, stream=log.stream, first=position + 1, last=last, batch=BATCH):
        if record.sequence != position + len(pending) + 1:
            raise LogGap(f"expected sequence {position + len(pending) + 1}, got {record.sequence}")
        pending.append(StoredEvent.from_payload(record.payload, record.sequence))
        if len(pending) == BATCH:
            await _commit(pool, projection, pending)
            position = pending[-1].sequence
            pending = []
            progress(position)
    if pending:
        await _commit(pool, projection, pending)
        position = pending[-1].sequence
        progress(position)
    return position
