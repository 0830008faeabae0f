"""PostgreSQL connection pools (asyncpg), opened in a service's lifespan, never at import."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

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


def _dropped_when_confused(query: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(query)
    async def guarded(connection: asyncpg.Connection, *args: Any, **kwargs: Any) -> Any:
        try:
            return await query(connection, *args, **kwargs)
        except asyncpg.InternalClientError:
            connection.terminate()  # the pool opens a fresh connection on the next acquire
            raise
    return guarded


class _Connection(asyncpg.Connection):
    """A connection that closes itself once asyncpg has lost track of its protocol state.

    When PostgreSQL ends a session (a fast shutdown, pg_terminate_backend) it sends the idle
    connection a FATAL error and then closes the socket. asyncpg 0.32 takes an error arriving
    while idle for a protocol fault and waits for a ReadyForQuery that never comes; a query sent
    before the close is noticed fails with InternalClientError ("cannot switch to state 12;
    another operation (2) is in progress", MagicStack/asyncpg#1069). Such a connection can
    answer nothing again, so it is dropped rather than handed out once more; the error itself
    counts as UNAVAILABLE (a 503 with Retry-After, a retried batch).
    """

    execute = _dropped_when_confused(asyncpg.Connection.execute)
    executemany = _dropped_when_confused(asyncpg.Connection.executemany)
    fetch = _dropped_when_confused(asyncpg.Connection.fetch)
    fetchval = _dropped_when_confused(asyncpg.Connection.fetchval)
    fetchrow = _dropped_when_confused(asyncpg.Connection.fetchrow)
    fetchmany = _dropped_when_confused(asyncpg.Connection.fetchmany)


async def create_pool(database_url: str, *, min_size: int = 1, max_size: int = 10,
                      application_name: str = "tilts", command_timeout: float = 60) -> asyncpg.Pool:
    """A pool whose connections speak JSON for json/jsonb columns."""
    return await asyncpg.create_pool(
        database_url, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session,
        connection_class=_Connection,
        server_settings={"application_name": application_name}, command_timeout=command_timeout)


# Errors that mean "PostgreSQL is not reachable right now" (retry later, answer 503).
UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
               asyncpg.TooManyConnectionsError,
               # a session PostgreSQL ended, seen by asyncpg while idle (see _Connection)
               asyncpg.InternalClientError,
               # 57xxx: shut down by an admin, crashed (another backend died: 57P02), starting up
               asyncpg.exceptions.OperatorInterventionError)
