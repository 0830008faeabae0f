"""The intake's own read model: where each event id lives, and erasures carried out.

Filled by a projection over the whole log (so it is complete even if an intake process died
between an append and its bookkeeping). It answers `GET /v1/events/{id}` and guards event-id
uniqueness across aggregates after JetStream's duplicate window has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from shared.bus.projection import POSITIONS_MIGRATION
from shared.crypto.keystore import SCHEMA as KEYS_SCHEMA
from shared.crypto.keystore import FamilyKeys
from shared.db.migrations import Migration
from shared.events.envelope import StoredEvent

from .known_ids import KnownEventIds

SCHEMA = "tilts_intake"
MIGRATIONS = [
    POSITIONS_MIGRATION,
    Migration(2, "event index", """
        CREATE TABLE {schema}.events (
            event_id       text PRIMARY KEY,
            sequence       bigint NOT NULL UNIQUE,
            type           text NOT NULL,
            aggregate_type text NOT NULL,
            aggregate_id   text NOT NULL,
            municipality   text NOT NULL,
            actor          text NOT NULL,
            institution_id text
        );
        CREATE INDEX events_aggregate ON {schema}.events (aggregate_type, aggregate_id)"""),
]


@dataclass(frozen=True, slots=True)
class IndexedEvent:
    event_id: str
    sequence: int
    type: str
    aggregate_type: str
    aggregate_id: str
    municipality: str
    actor: str
    institution_id: str | None


class EventIndex:
    """Looks events up by id.

    `find` asks PostgreSQL. `earlier_use`/`earlier_uses` answer "was this id used before?" for
    the append path, where almost every id is new: `known` answers those it certainly has not
    seen from memory (see known_ids.py), and only the rest are looked up.
    """

    def __init__(self, pool: asyncpg.Pool, known: KnownEventIds | None = None) -> None:
        self._pool = pool
        self._known = known

    async def find(self, event_id: str) -> IndexedEvent | None:
        row = await self._pool.fetchrow(f"SELECT * FROM {SCHEMA}.events WHERE event_id = $1", event_id)
        return None if row is None else IndexedEvent(**dict(row))

    async def find_many(self, event_ids: list[str]) -> dict[str, IndexedEvent]:
        if not event_ids:
            return {}
        rows = await self._pool.fetch(f"SELECT * FROM {SCHEMA}.events WHERE event_id = ANY($1::text[])", event_ids)
        return {row["event_id"]: IndexedEvent(**dict(row)) for row in rows}

    def _may_hold(self, event_id: str) -> bool:
        return self._known is None or self._known.may_contain(event_id)

    async def earlier_use(self, event_id: str) -> IndexedEvent | None:
        """The indexed event with this id, if any (new ids mostly answered from memory)."""
        return await self.find(event_id) if self._may_hold(event_id) else None

    async def earlier_uses(self, event_ids: list[str]) -> dict[str, IndexedEvent]:
        """`earlier_use` for many ids at once."""
        return await self.find_many([event_id for event_id in event_ids if self._may_hold(event_id)])


def _institution_of(event: StoredEvent) -> str | None:
    return event.data.get("institution_id") if isinstance(event.data.get("institution_id"), str) else None


class EventIndexProjection:
    """Indexes every event id and destroys the data key of every erased family.

    Given `keys`, the remnants of a key it destroyed are shredded once the transaction committed.
    """

    name = "intake-index"
    aggregate_types = None

    def __init__(self, keys: FamilyKeys | None = None) -> None:
        self._keys = keys
        self._destroyed = False

    async def committed(self) -> None:
        if self._destroyed and self._keys is not None:
            await self._keys.shred_remnants()
            self._destroyed = False

    async def apply(self, connection: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        await connection.executemany(
            f"""INSERT INTO {SCHEMA}.events (event_id, sequence, type, aggregate_type, aggregate_id,
                                            municipality, actor, institution_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7,
                        -- answers to a cooperation or referral concern the institution it named
                        COALESCE($8, (SELECT institution_id FROM {SCHEMA}.events
                                      WHERE aggregate_type = $4 AND aggregate_id = $5
                                        AND institution_id IS NOT NULL LIMIT 1)))
                ON CONFLICT (event_id) DO NOTHING""",
            [(e.id, e.sequence, e.type, e.aggregatetype, e.aggregateid, e.municipalityid, e.actor,
              _institution_of(e)) for e in events])
        erased = [e.aggregateid for e in events if e.type == "tilts.family.erased"]
        if erased:
            # The intake destroys the key right after the append; this makes sure it happened
            # even if that process died in between.
            status = await connection.execute(
                f"""INSERT INTO {KEYS_SCHEMA}.family_keys (family_id, wrapped_key, destroyed_at)
                    SELECT unnest($1::text[]), NULL, now()
                    ON CONFLICT (family_id) DO UPDATE SET wrapped_key = NULL, destroyed_at = now()
                    WHERE {KEYS_SCHEMA}.family_keys.wrapped_key IS NOT NULL""", erased)
            self._destroyed = self._destroyed or not status.endswith(" 0")
