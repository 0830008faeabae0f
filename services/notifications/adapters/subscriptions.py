"""Subscriptions in PostgreSQL (the webhook secret only ever sealed)."""

from __future__ import annotations

import asyncpg

from services.notifications.domain.subscriptions import Subscription

from shared.bus.projection import read_position

from .schema import FANOUT, SUBSCRIBING_LOCK, WAKE_CHANNEL
from .schema import SCHEMA as S

_COLUMNS = "subscription_id, institution_id, channel, target, event_types, digest, created_at, created_by"


def _subscription(row: asyncpg.Record) -> Subscription:
    return Subscription(id=row["subscription_id"], institution_id=row["institution_id"], channel=row["channel"],
                        target=row["target"], event_types=tuple(row["event_types"]), digest=row["digest"],
                        created_at=row["created_at"], created_by=row["created_by"])


class SubscriptionStore:
    """Port for subscriptions and the institutions they may name."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def institution_exists(self, institution_id: str) -> bool:
        """Whether the log has registered this institution (as far as the fan-out has read)."""
        return bool(await self._pool.fetchval(
            f"SELECT true FROM {S}.institutions WHERE institution_id = $1", institution_id))

    async def add(self, subscription: Subscription, origin: str, sealed_secret: bytes | None,
                  not_before: int) -> int:
        """Store a new subscription; every event after the sequence returned will reach it.

        That sequence is `not_before` (the log's head when the request came: "from now on"), or
        the fan-out's own position if it has gone past it meanwhile. The fan-out decides which
        subscriptions an event reaches by reading them inside its batch's transaction, so an
        event it fanned out between the head being read and this insert (before this commit)
        could never reach the new subscription, though it came after `not_before`. Hence the
        lock: the fan-out takes it before it reads the subscriptions and keeps it until its
        position commits. Holding it here, the position read is final (no batch is half-way),
        and every later batch reads the subscriptions only after this insert commits: nothing
        after the returned sequence is missed, nothing before it is sent.
        """
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", SUBSCRIBING_LOCK)
            from_sequence = max(not_before, await read_position(connection, S, FANOUT))
            await connection.execute(
                f"""INSERT INTO {S}.subscriptions ({_COLUMNS}, origin, sealed_secret, from_sequence)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
                subscription.id, subscription.institution_id, subscription.channel, subscription.target,
                list(subscription.event_types), subscription.digest, subscription.created_at,
                subscription.created_by, origin, sealed_secret, from_sequence)
        return from_sequence

    async def get(self, subscription_id: str) -> Subscription | None:
        """A live subscription by id."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM {S}.subscriptions WHERE subscription_id = $1 AND deleted_at IS NULL",
            subscription_id)
        return None if row is None else _subscription(row)

    async def list(self, institution_id: str | None) -> list[Subscription]:
        """Live subscriptions, of one institution or of all."""
        rows = await self._pool.fetch(
            f"""SELECT {_COLUMNS} FROM {S}.subscriptions
                WHERE deleted_at IS NULL AND ($1::text IS NULL OR institution_id = $1)
                ORDER BY created_at, subscription_id""", institution_id)
        return [_subscription(r) for r in rows]

    async def delete(self, subscription_id: str) -> bool:
        """End a subscription: forget its secret, cancel what it has not delivered yet (parked too)."""
        async with self._pool.acquire() as connection, connection.transaction():
            status = await connection.execute(
                f"""UPDATE {S}.subscriptions SET deleted_at = now(), sealed_secret = NULL
                    WHERE subscription_id = $1 AND deleted_at IS NULL""", subscription_id)
            if status != "UPDATE 1":
                return False
            await connection.execute(
                f"""UPDATE {S}.deliveries SET status = 'cancelled', next_attempt_at = NULL
                    WHERE subscription_id = $1 AND status IN ('pending', 'failed', 'parked')
                      AND (leased_until IS NULL OR leased_until < now())""", subscription_id)
            await connection.execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)
        return True
