"""PostgreSQL connection pools (asyncpg), opened in a service's lifespan, never at import."""

from __future__ import annotations

import json

import asyncpg


async def _init_connection(connection: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(type_name, encoder=lambda v: json.dumps(v, ensure_ascii=False),
                                        decoder=json.loads, schema="pg_catalog")


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Return a connection to the pool as it is.

    asyncpg's default reset runs RESET ALL, UNLISTEN and advisory-unlock queries on every
    release: a round trip per query on the intake's hot path. Tilts never changes session
    state on pooled connections (the projection runner's advisory lock lives on a connection
    it keeps, and unlocks before giving back); asyncpg still rolls back a dangling transaction.
    """


async def create_pool(database_url: str, *, min_size: int = 1, max_size: int = 10,
                      application_name: str = "tilts", command_timeout: float = 60) -> asyncpg.Pool:
    """A pool whose connections speak JSON for json/jsonb columns."""
    return await asyncpg.create_pool(
        database_url, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session,
        server_settings={"application_name": application_name}, command_timeout=command_timeout)


# Errors that mean "PostgreSQL is not reachable right now" (retry later, answer 503).
UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
               asyncpg.TooManyConnectionsError,
               # 57xxx: shut down by an admin, crashed (another backend died: 57P02), starting up
               asyncpg.exceptions.OperatorInterventionError)
