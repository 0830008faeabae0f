"""Swapping a rebuilt schema in for the live one while the reporting service keeps serving.

The live projection runner holds a PostgreSQL advisory lock on the connection it commits with.
To pause it, the rebuild takes that lock: it ends the runner's database session (the runner's
open transaction rolls back, nothing it acknowledged is lost, and it retries as a standby
because the lock is now taken), catches the new schema up to the live position, renames the
schemas in one transaction and lets go. The runner then becomes active again and continues
from the position it finds in the (new) schema. Readers keep reading throughout; PostgreSQL
re-plans their statements when the schema is renamed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg

from shared.bus.projection import advisory_lock_key

ATTEMPTS = 200
LOCK_TIMEOUT = "10s"

_HOLDERS = """SELECT pid FROM pg_locks
              WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND objsubid = 1
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND classid::bigint = $1 AND objid::bigint = $2"""


def _halves(key: int) -> tuple[int, int]:
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF


@contextlib.asynccontextmanager
async def projection_paused(pool: asyncpg.Pool, schema: str, name: str) -> AsyncIterator[asyncpg.Connection]:
    """Hold the projection's lock (ending the live runner's session if it holds it); yield the connection."""
    key = advisory_lock_key(schema, name)
    connection = await pool.acquire()
    try:
        for _ in range(ATTEMPTS):
            if await connection.fetchval("SELECT pg_try_advisory_lock($1)", key):
                break
            for record in await connection.fetch(_HOLDERS, *_halves(key)):
                await connection.execute("SELECT pg_terminate_backend($1)", record["pid"])
            await asyncio.sleep(0.05)
        else:
            raise TimeoutError(f"could not take over the {name} projection in {schema}")
        yield connection
    finally:
        with contextlib.suppress(Exception):
            await connection.execute("SELECT pg_advisory_unlock_all()")
        await pool.release(connection)


async def swap_schemas(connection: asyncpg.Connection, live: str, fresh: str, retired: str, *, keep_old: bool,
                       live_exists: bool = True) -> None:
    """Make `fresh` the live schema in one transaction; drop the old one unless `keep_old`."""
    async with connection.transaction():
        await connection.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        if live_exists:
            await connection.execute(f'ALTER SCHEMA "{live}" RENAME TO "{retired}"')
        await connection.execute(f'ALTER SCHEMA "{fresh}" RENAME TO "{live}"')
        if live_exists and not keep_old:
            await connection.execute(f'DROP SCHEMA "{retired}" CASCADE')
