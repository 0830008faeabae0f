"""The connections every service opens in its lifespan: NATS, the stream, PostgreSQL, keys."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
import nats.errors
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from shared.auth.tokens import TokenAuthority
from shared.bus.connect import connect
from shared.bus.eventlog import EventLog
from shared.bus.stream import StreamSpec, wait_for_stream
from shared.bus.subjects import Subjects
from shared.config import Settings
from shared.crypto.keystore import FamilyKeys, check_master_key, sample_wrapped_key
from shared.crypto.master_key import load_master_key
from shared.db.pool import UNAVAILABLE as DB_UNAVAILABLE
from shared.db.pool import create_pool

log = structlog.get_logger(__name__)


T = TypeVar("T")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class NotConfigured(RuntimeError):
    """A service was started without the servers it needs."""


class StoppedWhileStarting(RuntimeError):
    """Told to stop (SIGTERM, Ctrl-C) while still waiting for NATS or PostgreSQL."""


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


async def until_told_to_stop(work: Awaitable[T]) -> T:
    """`work`, given up when SIGTERM or SIGINT arrives before it is done.

    Waiting for an unreachable server can last for ever, and uvicorn's own handlers only ask a
    server to exit once it has started: a service waiting at startup ignored Ctrl-C, and
    `tilts up` killed it after 15 s. The handlers in place are still called, and put back after.
    """
    task = asyncio.ensure_future(work)
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        return await task
    loop = asyncio.get_running_loop()
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}

    def stop(number: int, frame: object) -> None:
        loop.call_soon_threadsafe(task.cancel)
        if callable(handler := previous[signal.Signals(number)]):
            handler(number, frame)

    for number in STOP_SIGNALS:
        signal.signal(number, stop)
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if task.cancelled() and current is not None and not current.cancelling():
            raise StoppedWhileStarting("told to stop while waiting for NATS or PostgreSQL") from None
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


async def open_runtime(settings: Settings, service: str) -> Runtime:
    """Connect to NATS and PostgreSQL, make sure the stream and the key table exist (or stop
    waiting for them when the process is told to stop)."""
    return await until_told_to_stop(_open_runtime(settings, service))


async def _open_runtime(settings: Settings, service: str) -> Runtime:
    if not settings.nats_url or not settings.database_url:
        raise NotConfigured("set TILTS_NATS_URL and TILTS_DATABASE_URL, or run `tilts up`")
    nc = await connect(settings.nats_url, f"tilts-{service}")
    js = nc.jetstream(timeout=10)
    subjects = Subjects(settings.subject_prefix)
    await wait_for_stream(js, StreamSpec(settings.stream_name, settings.subject_prefix,
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
