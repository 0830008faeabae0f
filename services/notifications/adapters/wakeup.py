"""Wake-ups from PostgreSQL: LISTEN on the channel the fan-out NOTIFYs when it commits deliveries.

Works across processes (any worker on the database wakes), costs nothing while idle, and is
only a hint: the worker's slow poll still finds work if a notification is ever missed (e.g.
while this connection was being re-established).
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from shared.db.pool import UNAVAILABLE

log = structlog.get_logger(__name__)


class Wakeup:
    """Sets `event` whenever a NOTIFY arrives on the channel (and after every reconnect)."""

    def __init__(self, database_url: str, channel: str) -> None:
        self._url, self._channel = database_url, channel
        self.event = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="notifications:wakeup")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                await self._listen_once()
                backoff = 0.2
                log.warning("wakeup.connection_lost")
            except (*UNAVAILABLE, asyncpg.PostgresError) as error:
                # Not listening (PostgreSQL away, or gone between connecting and LISTEN): the slow
                # poll covers the gap, and this keeps trying.
                log.warning("wakeup.listen_failed", error=type(error).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _listen_once(self) -> None:
        """Connect, LISTEN, and return when the connection is lost."""
        lost = asyncio.Event()
        connection = await asyncpg.connect(self._url, server_settings={
            "application_name": "tilts-notifications-wakeup"})
        try:
            connection.add_termination_listener(lambda _: lost.set())
            await connection.add_listener(self._channel, lambda *_: self.event.set())
            self.event.set()  # anything committed while we were not listening
            await lost.wait()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)
