"""Reach in PostgreSQL: per institution, its subscriptions and what of its notices got through."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.notifications.domain.reach import ReachScope

from .schema import SCHEMA as S


def _told(table: str, answered: str) -> str:
    """total / told / answered / untold of one kind of notice kept in `table`."""
    told = f"""EXISTS (SELECT 1 FROM {S}.deliveries d WHERE d.event_id = x.event_id AND d.status = 'delivered')"""
    return f"""
        (SELECT count(*) FROM {S}.{table} x WHERE x.institution_id = i.institution_id) AS {table}_total,
        (SELECT count(*) FROM {S}.{table} x WHERE x.institution_id = i.institution_id AND {told}) AS {table}_told,
        (SELECT count(*) FROM {S}.{table} x WHERE x.institution_id = i.institution_id AND {answered})
            AS {table}_answered,
        (SELECT count(*) FROM {S}.{table} x WHERE x.institution_id = i.institution_id
                                            AND NOT {told} AND NOT ({answered})) AS {table}_untold"""


_REACH = f"""
    SELECT i.institution_id, i.name, i.municipality_id,
           (SELECT count(*) FROM {S}.subscriptions s WHERE s.institution_id = i.institution_id
                AND s.deleted_at IS NULL AND s.channel = 'webhook') AS webhooks,
           (SELECT count(*) FROM {S}.subscriptions s WHERE s.institution_id = i.institution_id
                AND s.deleted_at IS NULL AND s.channel = 'email') AS emails,
           {_told("cooperations", "x.answer IS NOT NULL")},
           {_told("referrals", "x.status <> 'made'")},
           (SELECT count(*) FROM {S}.deliveries d WHERE d.institution_id = i.institution_id
                AND d.status = 'pending') AS pending,
           (SELECT count(*) FROM {S}.deliveries d WHERE d.institution_id = i.institution_id
                AND d.status = 'failed') AS failed,
           (SELECT count(*) FROM {S}.deliveries d WHERE d.institution_id = i.institution_id
                AND d.status = 'parked') AS parked,
           (SELECT max(d.delivered_at) FROM {S}.deliveries d WHERE d.institution_id = i.institution_id)
                AS last_told_at
    FROM {S}.institutions i
    WHERE ($1::text[] IS NULL OR i.municipality_id = ANY($1::text[]))
      AND ($2::text IS NULL OR i.institution_id = $2)
      AND ($3::text IS NULL OR i.institution_id > $3)
    ORDER BY i.institution_id
    LIMIT $4"""


class ReachStore:
    """Port for the reach listing."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def home_of(self, institution_id: str) -> str | None:
        """The institution's municipality, or None if the log has not named it."""
        return await self._pool.fetchval(
            f"SELECT municipality_id FROM {S}.institutions WHERE institution_id = $1", institution_id)

    async def list(self, scope: ReachScope, limit: int, after: str | None) -> list[dict[str, Any]]:
        """Institutions in `scope` ordered by id, those after `after`."""
        municipalities = sorted(scope.municipalities) if scope.municipalities is not None else None
        rows = await self._pool.fetch(_REACH, municipalities, scope.institution, after, limit)
        return [dict(r) for r in rows]
