"""Family data keys in PostgreSQL, wrapped by the master key.

A destroyed key leaves a tombstone row, so a key can never be created again for an erased
family (a late event must not make new readable personal data for someone who was erased).

Setting a key to NULL is not enough on its own: PostgreSQL keeps the old row version in the
table file until it is rewritten, and in the write-ahead log until the segment is removed. With
the master key, such a remnant opens the erased family's personal data again. So after a
destruction `shred_remnants` rewrites the key table (VACUUM FULL: the old file is truncated) and
retires the WAL written so far (a segment switch and a checkpoint; the embedded server runs with
`wal_recycle = off`, so retired segments are deleted rather than kept for reuse). Rows are never
updated otherwise, so no other remnants are made. What no database can promise — free disk blocks,
backups, WAL archives — docs/operations.md covers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime

import asyncpg
import structlog

from shared.db.migrations import Migration, migrate
from shared.db.pool import UNAVAILABLE

from .master_key import MasterKeyError
from .sealing import SealError, new_data_key, unwrap_data_key, wrap_data_key

log = structlog.get_logger(__name__)

SCHEMA = "tilts_keys"
SNAPSHOT_WAIT_SECONDS = 2.0
# Another session's transaction that began before the destruction may still see the old row
# version, and VACUUM FULL then copies it into the rewritten table. So does one that merely has a
# transaction id: a READ COMMITTED transaction between two statements has no snapshot (no
# backend_xmin) but its id holds the same horizon back; the kept copy later went into the WAL
# again, after the segments were retired (seen once in CI). (Conservative: a READ COMMITTED
# transaction's snapshot or id may be newer than its start.)
_OLDER_SNAPSHOTS = """SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                                 WHERE (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)
                                   AND pid <> pg_backend_pid() AND xact_start < $1)"""
MIGRATIONS = [
    Migration(1, "family keys", """
        CREATE TABLE {schema}.family_keys (
            family_id    text PRIMARY KEY,
            wrapped_key  bytea,
            created_at   timestamptz NOT NULL DEFAULT now(),
            destroyed_at timestamptz,
            CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
        )"""),
]


class KeyDestroyed(LookupError):
    """The family was erased: its key is gone for good."""


async def sample_wrapped_key(pool: asyncpg.Pool) -> tuple[str, bytes] | None:
    """One live family key as stored (family id, wrapped key), or None if there is none yet."""
    try:
        row = await pool.fetchrow(
            f"SELECT family_id, wrapped_key FROM {SCHEMA}.family_keys WHERE wrapped_key IS NOT NULL LIMIT 1")
    except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
        return None
    return None if row is None else (row["family_id"], row["wrapped_key"])


def check_master_key(master_key: bytes, sample: tuple[str, bytes] | None) -> None:
    """MasterKeyError unless `master_key` opens the stored family keys (judged by one of them)."""
    if sample is None:
        return
    try:
        unwrap_data_key(master_key, *sample)
    except SealError as error:
        raise MasterKeyError(
            "the master key (TILTS_MASTER_KEY, or keys/master.key in the data dir) does not open the family "
            "keys in the database: they were wrapped by another master key. Put that key back "
            "(docs/operations.md, restore); starting would make personal data unreadable") from error


class FamilyKeys:
    """Port for the per-family data keys."""

    def __init__(self, pool: asyncpg.Pool, master_key: bytes) -> None:
        self._pool = pool
        self._master_key = master_key
        self._due: datetime | None = None  # a shredding that had to wait for older transactions

    async def migrate(self) -> None:
        async with self._pool.acquire() as connection:
            await migrate(connection, SCHEMA, MIGRATIONS)

    async def get_or_create(self, family_id: str) -> bytes:
        """The family's data key, created if it has none; KeyDestroyed after erasure.

        An existing row is only read (an upsert would leave a dead copy of the key per call).
        """
        row = await self._pool.fetchrow(
            f"SELECT wrapped_key, destroyed_at FROM {SCHEMA}.family_keys WHERE family_id = $1", family_id)
        if row is None:
            wrapped = wrap_data_key(self._master_key, family_id, new_data_key())
            row = await self._pool.fetchrow(
                f"""INSERT INTO {SCHEMA}.family_keys (family_id, wrapped_key) VALUES ($1, $2)
                    ON CONFLICT (family_id) DO NOTHING RETURNING wrapped_key, destroyed_at""", family_id, wrapped)
        if row is None:  # another writer created it meanwhile
            row = await self._pool.fetchrow(
                f"SELECT wrapped_key, destroyed_at FROM {SCHEMA}.family_keys WHERE family_id = $1", family_id)
        if row["wrapped_key"] is None:
            raise KeyDestroyed(family_id)
        return unwrap_data_key(self._master_key, family_id, row["wrapped_key"])

    async def get(self, family_id: str) -> bytes | None:
        """The family's data key, or None if it never had one or it was destroyed."""
        wrapped = await self._pool.fetchval(
            f"SELECT wrapped_key FROM {SCHEMA}.family_keys WHERE family_id = $1", family_id)
        return None if wrapped is None else unwrap_data_key(self._master_key, family_id, wrapped)

    async def get_many(self, family_ids: list[str]) -> dict[str, bytes]:
        """Data keys of several families at once (absent or destroyed ones are left out)."""
        rows = await self._pool.fetch(
            f"SELECT family_id, wrapped_key FROM {SCHEMA}.family_keys"
            " WHERE family_id = ANY($1::text[]) AND wrapped_key IS NOT NULL", family_ids)
        return {r["family_id"]: unwrap_data_key(self._master_key, r["family_id"], r["wrapped_key"])
                for r in rows}

    async def destroy(self, family_id: str) -> bool:
        """Crypto-shred the family's key (idempotent); True if a live key was destroyed.

        The remnants of a destroyed key are shredded before this returns (see the module's doc).
        """
        return bool(await self.destroy_many([family_id]))

    async def destroy_many(self, family_ids: list[str]) -> int:
        """`destroy` for several families at once (one shredding); how many live keys went."""
        if not family_ids:
            return 0
        status = await self._pool.execute(
            f"""INSERT INTO {SCHEMA}.family_keys (family_id, wrapped_key, destroyed_at)
                SELECT unnest($1::text[]), NULL, $2
                ON CONFLICT (family_id) DO UPDATE SET wrapped_key = NULL, destroyed_at = $2
                WHERE {SCHEMA}.family_keys.wrapped_key IS NOT NULL""",
            sorted(set(family_ids)), datetime.now(UTC))
        changed = int(status.rsplit(" ", 1)[-1])
        if changed:
            await self.shred_remnants()
        return changed

    async def shred_remnants(self, destroyed_by: datetime | None = None) -> bool:
        """Leave no copy of keys destroyed by `destroyed_by` (default: now, after a destruction
        committed) in the live database's files; False if that has to wait.

        Rewrites the key table, then ends the current WAL segment and checkpoints, so every
        segment that held an old row version is retired. The rewrite keeps the old version while
        any transaction that began before the destruction is open (a backup's pg_dump, say): it
        waits `SNAPSHOT_WAIT_SECONDS` for those, and otherwise leaves the shredding due, for
        `shred_if_due` (run every few seconds by the intake) to finish once they are gone. A
        database user without the right to checkpoint (external servers) gets the table rewritten
        and a warning.
        """
        async with self._pool.acquire() as connection:
            if destroyed_by is None:
                destroyed_by = await connection.fetchval("SELECT clock_timestamp()")
            deadline = time.monotonic() + SNAPSHOT_WAIT_SECONDS
            while await connection.fetchval(_OLDER_SNAPSHOTS, destroyed_by):
                if time.monotonic() > deadline:
                    self._due = min(self._due or destroyed_by, destroyed_by)
                    log.warning("keys.shred_deferred", reason="a transaction older than the destruction is open")
                    return False
                await asyncio.sleep(0.2)
            await connection.execute(f"VACUUM FULL {SCHEMA}.family_keys")
            if self._due is not None and self._due <= destroyed_by:
                self._due = None
            try:
                await connection.execute("CHECKPOINT")  # the rewrite is on disk before the WAL goes
                await connection.fetchval("SELECT pg_switch_wal()")
                await connection.execute("CHECKPOINT")  # retires every segment before this one
            except asyncpg.InsufficientPrivilegeError as error:
                log.warning("keys.wal_not_retired", detail=str(error),
                            advice="grant pg_checkpoint and EXECUTE on pg_switch_wal, or see docs/operations.md")
                return False
        return True

    async def shred_if_due(self) -> bool | None:
        """Finish a shredding left due; None if none was."""
        if self._due is None:
            return None
        return await self.shred_remnants(self._due)

    async def keep_shredding(self, every: float = 5.0) -> None:
        """Run forever: finish due shreddings (a task of the intake).

        A shredding left due by an earlier run is not remembered, so if any key was ever destroyed
        the first round shreds once anyway.
        """
        with contextlib.suppress(*UNAVAILABLE):
            if await self._pool.fetchval(
                    f"SELECT EXISTS (SELECT 1 FROM {SCHEMA}.family_keys WHERE destroyed_at IS NOT NULL)"):
                self._due = self._due or datetime.now(UTC)
        while True:
            await asyncio.sleep(every)
            try:
                await self.shred_if_due()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # PostgreSQL away: the shredding stays due
                log.warning("keys.shred_failed", error=type(error).__name__)

    async def is_destroyed(self, family_id: str) -> bool:
        return bool(await self._pool.fetchval(
            f"SELECT destroyed_at IS NOT NULL FROM {SCHEMA}.family_keys WHERE family_id = $1", family_id))
