"""Deliveries in PostgreSQL: claimed with a lease, completed, listed, requeued.

Work is claimed with `SELECT ... FOR UPDATE SKIP LOCKED` and leased (`leased_until`,
`lease_owner`) in the same statement: two workers never claim the same delivery, and a claimed
delivery stays invisible to others until its lease runs out. A worker that dies mid-delivery
loses nothing: once the lease expires the delivery is due again and another worker (or the
restarted one) picks it up. That can send a message twice, which is why receivers get the
event id as `webhook-id` (at-least-once, with an idempotency key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.notifications.domain.backoff import DeliveryStatus

from .schema import SCHEMA as S
from .schema import WAKE_CHANNEL


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery this worker holds the lease on, with what it needs to send it."""

    delivery_id: str
    event_id: str
    event_type: str
    subscription_id: str
    institution_id: str
    channel: str
    origin: str
    attempts: int
    recorded_at: datetime
    facts: dict[str, Any]
    target: str
    sealed_secret: bytes | None
    digest: str | None
    subscription_deleted: bool


_CLAIMED = f"""
    SELECT c.delivery_id, c.event_id, n.event_type, c.subscription_id, c.institution_id, c.channel, c.origin,
           c.attempts, n.recorded_at, n.facts, s.target, s.sealed_secret, s.digest,
           s.deleted_at IS NOT NULL AS subscription_deleted
    FROM claimed c JOIN {S}.notices n USING (event_id) JOIN {S}.subscriptions s USING (subscription_id)
    ORDER BY c.number"""

_LEASE = """
    UPDATE {S}.deliveries d
    SET leased_until = now() + make_interval(secs => $2), lease_owner = $3, attempts = d.attempts + 1
    FROM picked WHERE d.delivery_id = picked.delivery_id
    RETURNING d.*""".replace("{S}", S)


def _available(alias: str = "") -> str:
    """Open and not leased (or its lease ran out)."""
    return f"{alias}status IN ('pending', 'failed') AND ({alias}leased_until IS NULL OR {alias}leased_until < now())"


_AVAILABLE = _available()

_LISTED = """d.delivery_id, d.event_id, n.event_type, d.subscription_id, d.institution_id, d.channel, d.status,
             d.attempts, d.last_error, d.next_attempt_at, d.delivered_at, d.created_at, d.number"""


class DeliveryStore:
    """Port for the delivery queue."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim(self, owner: str, limit: int, lease_seconds: float, per_origin: int,
                    in_flight: dict[str, int]) -> list[ClaimedDelivery]:
        """Lease up to `limit` due deliveries, at most `per_origin` per origin counting those in flight."""
        busy = [origin for origin, n in in_flight.items() if n >= per_origin]
        rows = await self._pool.fetch(f"""
            WITH due AS (
                -- the earliest due deliveries (a short look-ahead keeps this cheap), numbered per origin
                SELECT delivery_id, origin,
                       row_number() OVER (PARTITION BY origin ORDER BY next_attempt_at, number) AS place
                FROM (SELECT delivery_id, origin, next_attempt_at, number FROM {S}.deliveries
                      WHERE {_AVAILABLE} AND next_attempt_at <= now() AND origin <> ALL($4::text[])
                      ORDER BY next_attempt_at LIMIT $1 * 2) earliest),
            room AS (SELECT * FROM unnest($5::text[], $6::int[]) AS r(origin, free)),
            picked AS (
                SELECT d.delivery_id FROM {S}.deliveries d JOIN due USING (delivery_id)
                LEFT JOIN room ON room.origin = due.origin
                WHERE due.place <= COALESCE(room.free, $7) AND {_available("d.")}
                ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED),
            claimed AS ({_LEASE})
            {_CLAIMED}""", limit, lease_seconds, owner, busy, list(in_flight),
            [max(0, per_origin - n) for n in in_flight.values()], per_origin)
        return [ClaimedDelivery(**dict(r)) for r in rows]

    async def claim_digest(self, owner: str, subscription_id: str, lease_seconds: float,
                           limit: int = 200) -> list[ClaimedDelivery]:
        """Lease every open delivery of a digest subscription, due or not: they leave together."""
        rows = await self._pool.fetch(f"""
            WITH picked AS (
                SELECT delivery_id FROM {S}.deliveries
                WHERE subscription_id = $4 AND {_AVAILABLE}
                ORDER BY number LIMIT $1 FOR UPDATE SKIP LOCKED),
            claimed AS ({_LEASE})
            {_CLAIMED}""", limit, lease_seconds, owner, subscription_id)
        return [ClaimedDelivery(**dict(r)) for r in rows]

    async def mark_delivered(self, delivery_ids: list[str]) -> None:
        """Delivered: whoever holds the lease now, the message did arrive."""
        await self._pool.execute(
            f"""UPDATE {S}.deliveries SET status = 'delivered', delivered_at = now(), last_error = NULL,
                       next_attempt_at = NULL, leased_until = NULL, lease_owner = NULL
                WHERE delivery_id = ANY($1::text[]) AND status IN ('pending', 'failed')""", delivery_ids)

    async def mark_failed(self, delivery_id: str, owner: str, status: DeliveryStatus,
                          next_attempt_at: datetime | None, error: str) -> bool:
        """Failed (to be retried at `next_attempt_at`) or parked; False if the lease was lost."""
        result = await self._pool.execute(
            f"""UPDATE {S}.deliveries SET status = $3, next_attempt_at = $4, last_error = $5,
                       leased_until = NULL, lease_owner = NULL
                WHERE delivery_id = $1 AND lease_owner = $2 AND status IN ('pending', 'failed')""",
            delivery_id, owner, str(status), next_attempt_at, error[:500])
        return result == "UPDATE 1"

    async def mark_cancelled(self, delivery_ids: list[str]) -> None:
        """Its subscription was deleted: nothing more will be sent."""
        await self._pool.execute(
            f"""UPDATE {S}.deliveries SET status = 'cancelled', next_attempt_at = NULL, leased_until = NULL,
                       lease_owner = NULL WHERE delivery_id = ANY($1::text[])""", delivery_ids)

    async def release(self, delivery_ids: list[str], owner: str) -> None:
        """Give back leases not acted on (over a concurrency limit): due again at once, the attempt not counted."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                f"""UPDATE {S}.deliveries SET leased_until = NULL, lease_owner = NULL, attempts = attempts - 1
                    WHERE delivery_id = ANY($1::text[]) AND lease_owner = $2""", delivery_ids, owner)
            await connection.execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)  # another process may take them

    async def next_due(self) -> datetime | None:
        """When the next delivery falls due (a leased one: when its lease runs out)."""
        return await self._pool.fetchval(
            f"""SELECT min(GREATEST(next_attempt_at, COALESCE(leased_until, next_attempt_at)))
                FROM {S}.deliveries WHERE status IN ('pending', 'failed')""")

    async def list(self, institution_id: str | None, status: str | None, limit: int,
                   before: int | None) -> list[dict[str, Any]]:
        """Deliveries, newest first, filtered by institution and status; `before` is a cursor."""
        rows = await self._pool.fetch(
            f"""SELECT {_LISTED} FROM {S}.deliveries d JOIN {S}.notices n USING (event_id)
                WHERE ($1::text IS NULL OR d.institution_id = $1) AND ($2::text IS NULL OR d.status = $2)
                  AND ($3::bigint IS NULL OR d.number < $3)
                ORDER BY d.number DESC LIMIT $4""", institution_id, status, before, limit)
        return [dict(r) for r in rows]

    async def get(self, delivery_id: str) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(
            f"""SELECT {_LISTED}, d.leased_until > now() AS in_flight
                FROM {S}.deliveries d JOIN {S}.notices n USING (event_id) WHERE d.delivery_id = $1""", delivery_id)
        return None if row is None else dict(row)

    async def requeue(self, delivery_id: str) -> bool:
        """Due again now with a fresh set of attempts; False if in flight, delivered or cancelled."""
        async with self._pool.acquire() as connection, connection.transaction():
            result = await connection.execute(
                f"""UPDATE {S}.deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(),
                           delivered_at = NULL, leased_until = NULL, lease_owner = NULL
                    WHERE delivery_id = $1 AND status NOT IN ('cancelled', 'delivered')
                      AND NOT EXISTS (SELECT 1 FROM {S}.subscriptions s
                                      WHERE s.subscription_id = deliveries.subscription_id AND s.deleted_at IS NOT NULL)
                      AND (leased_until IS NULL OR leased_until < now())""", delivery_id)
            await connection.execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)
        return result == "UPDATE 1"

    async def open_counts(self) -> dict[str, int]:
        """How many deliveries are pending, failed (to retry) and parked (cheap: partial indexes)."""
        rows = await self._pool.fetch(
            f"""SELECT status, count(*) AS n FROM {S}.deliveries
                WHERE status IN ('pending', 'failed', 'parked') GROUP BY status""")
        counts = {s: 0 for s in ("pending", "failed", "parked")}
        counts.update({r["status"]: r["n"] for r in rows})
        return counts
