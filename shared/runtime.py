"""The connections every service opens in its lifespan: NATS, the stream, PostgreSQL, keys."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
import nats.errors
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from shared.auth.tokens import TokenAuthority
from shared.bus.connect import connect
from shared.bus.eventlog import EventLog
from shared.bus.stream import StreamSpec, ensure_stream
from shared.bus.subjects import Subjects
from shared.config import Settings
from shared.crypto.keystore import FamilyKeys, check_master_key, sample_wrapped_key
from shared.crypto.master_key import load_master_key
from shared.db.pool import UNAVAILABLE as DB_UNAVAILABLE
from shared.db.pool import create_pool

log = structlog.get_logger(__name__)


class NotConfigured(RuntimeError):
    """A service was started without the servers it needs."""


@dataclass
class Runtime:
    settings: Settings
    nc: NATS
    js: JetStreamContext
    pool: asyncpg.Pool
    log: EventLog
    subjects: Subjects
    tokens: TokenAuthority
    keys: FamilyKeys

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.pool.close(), 10)
        except (asyncio.TimeoutError, *DB_UNAVAILABLE):
            self.pool.terminate()
        try:
            await asyncio.wait_for(self.nc.drain(), 5)
        except (asyncio.TimeoutError, nats.errors.Error):
            await self.nc.close()


async def _wait_for_pool(url: str, name: str, command_timeout: float, attempts: int = 60) -> asyncpg.Pool:
    for attempt in range(attempts):
        try:
            return await create_pool(url, application_name=name, command_timeout=command_timeout)
        except (OSError, asyncpg.CannotConnectNowError) as error:
            if attempt == attempts - 1:
                raise
            log.info("postgres.waiting", error=type(error).__name__)
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def open_runtime(settings: Settings, service: str) -> Runtime:
    """Connect to NATS and PostgreSQL, make sure the stream and the key table exist."""
    if not settings.nats_url or not settings.database_url:
        raise NotConfigured("set TILTS_NATS_URL and TILTS_DATABASE_URL, or run `tilts up`")
    nc = await connect(settings.nats_url, f"tilts-{service}")
    js = nc.jetstream(timeout=10)
    subjects = Subjects(settings.subject_prefix)
    await ensure_stream(js, StreamSpec(settings.stream_name, settings.subject_prefix,
                                       settings.stream_replicas, settings.duplicate_window_seconds))
    pool = await _wait_for_pool(settings.database_url, f"tilts-{service}", settings.database_timeout_seconds)
    # Never start on a master key that does not open the data (a restore without its key):
    # no new key is made where family keys exist, and a given key must open them.
    sample = await sample_wrapped_key(pool)
    master_key = load_master_key(settings, create=sample is None)
    check_master_key(master_key, sample)
    keys = FamilyKeys(pool, master_key)
    await keys.migrate()
    return Runtime(settings=settings, nc=nc, js=js, pool=pool,
                   log=EventLog(nc, js, settings.stream_name, subjects), subjects=subjects,
                   tokens=TokenAuthority.from_settings(settings), keys=keys)
