"""The reporting projection: every event of the log into the read models of one schema.

The runner calls `apply` inside its transaction, so the rows and the new position commit
together. Events are applied at most once by id (a re-sent event stored twice under one id is
skipped, and `applied_events` remembers ids across batches), then turned into row changes by
the pure functions in this package and written in a few grouped statements.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from shared.events.envelope import StoredEvent

from .changes import TableShapes, write
from .dispatch import cases_named, changes_for, cooperations_answered, first_occurrences
from .facts import Fact, fact_of
from .known import CooperationTally, Known
from .schema import SCHEMA

PROJECTION_NAME = "reporting"


class ReportingProjection:
    """Writes every read model the reporting service answers from."""

    aggregate_types = None

    def __init__(self, schema: str = SCHEMA, name: str = PROJECTION_NAME) -> None:
        self.schema = schema
        self.name = name
        self._shapes = TableShapes(schema)

    async def apply(self, connection: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        """Apply a batch of events (inside the caller's transaction)."""
        # Read models need not wait for their commit to reach the disk: if PostgreSQL crashes
        # before it does, the batch and the position that recorded it are lost together, and
        # the runner reads the events again from the log (it binds at the stored position).
        await connection.execute("SET LOCAL synchronous_commit = off")
        fresh = await self._not_yet_applied(connection, first_occurrences(events))
        facts = [fact_of(event) for event in fresh]
        known = Known(await self._case_families(connection, cases_named(facts)),
                      await self._cooperation_tallies(connection, cooperations_answered(facts)))
        await write(connection, self._shapes, changes_for(facts, known))

    async def _not_yet_applied(self, connection: asyncpg.Connection,
                               events: list[StoredEvent]) -> list[StoredEvent]:
        if not events:
            return []
        rows = await connection.fetch(
            f"""INSERT INTO "{self.schema}".applied_events (event_id, sequence)
                SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING RETURNING event_id""",
            [e.id for e in events], [e.sequence for e in events])
        new = {row["event_id"] for row in rows}
        return [e for e in events if e.id in new]

    async def _case_families(self, connection: asyncpg.Connection, case_ids: set[str]) -> dict[str, str]:
        if not case_ids:
            return {}
        rows = await connection.fetch(
            f'SELECT case_id, family_id FROM "{self.schema}".cases WHERE case_id = ANY($1::text[])',
            list(case_ids))
        return {row["case_id"]: row["family_id"] for row in rows}

    async def _cooperation_tallies(self, connection: asyncpg.Connection,
                                   cooperation_ids: set[str]) -> dict[str, CooperationTally]:
        if not cooperation_ids:
            return {}
        rows = await connection.fetch(
            f"""SELECT cooperation_id, municipality_id, date_trunc('month', local_date)::date AS month,
                       institution_id, domain
                FROM "{self.schema}".cooperations WHERE cooperation_id = ANY($1::text[])""", list(cooperation_ids))
        return {r["cooperation_id"]: CooperationTally(r["municipality_id"], r["month"], r["institution_id"],
                                                      r["domain"]) for r in rows}


__all__ = ["PROJECTION_NAME", "Fact", "ReportingProjection"]
