"""Connecting to NATS: keep reconnecting forever, and say so in the logs."""

from __future__ import annotations

import nats
import structlog
from nats.aio.client import Client as NATS

log = structlog.get_logger(__name__)


async def connect(url: str, name: str, *, connect_timeout: float = 5.0) -> NATS:
    """A NATS connection that survives server restarts (publishes fail fast while it is away).

    `url` may list several servers of a cluster, separated by commas.
    """

    async def disconnected() -> None:
        log.warning("nats.disconnected", connection=name)

    async def reconnected() -> None:
        log.info("nats.reconnected", connection=name)

    async def error(exc: Exception) -> None:
        log.warning("nats.error", connection=name, error=type(exc).__name__, detail=str(exc))

    servers = [part.strip() for part in url.split(",") if part.strip()]  # a cluster: "nats://a,nats://b"
    return await nats.connect(
        servers, name=name, connect_timeout=connect_timeout, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
        allow_reconnect=True, disconnected_cb=disconnected, reconnected_cb=reconnected, error_cb=error,
        pending_size=8 * 1024 * 1024)
