"""Erasures recorded in the log, carried out again on restored family keys.

Erasure is the destruction of a family's data key (crypto-shredding). A key table restored from
a backup holds every key as it was when the backup was taken, so a family erased later, or an
erasure whose key destruction had not yet committed when the keys were dumped, would have its
key back, and with it the personal data sealed in the log. The log is the record of every
erasure: after restoring the keys, each family with a `tilts.family.erased` event in the restored
log loses its key again (a tombstone where none was), before any service can read it.
"""

from __future__ import annotations

import asyncpg
from nats.js import JetStreamContext

from shared.audit.replay import replay
from shared.crypto.keystore import SCHEMA as KEYS_SCHEMA
from shared.crypto.keystore import FamilyKeys
from shared.events.family import FamilyErased


async def erased_families(js: JetStreamContext, stream: str) -> list[str]:
    """The id of every family the log records as erased."""
    erased = {event.aggregateid async for event in replay(js, stream=stream, types={FamilyErased.TYPE})}
    return sorted(erased)


async def shred_erased(pool: asyncpg.Pool, master_key: bytes, families: list[str]) -> list[str]:
    """Destroy the data keys of these families (leaving tombstones); those whose key was live."""
    live = await pool.fetch(f"SELECT family_id FROM {KEYS_SCHEMA}.family_keys"
                            " WHERE family_id = ANY($1::text[]) AND wrapped_key IS NOT NULL", families)
    await FamilyKeys(pool, master_key).destroy_many(families)
    return sorted(row["family_id"] for row in live)
