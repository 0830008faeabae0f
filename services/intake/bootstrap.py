"""The intake's composition root: build the app, open its connections in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shared.bus.projection import ProjectionRunner
from shared.config import Settings
from shared.events import catalogue
from shared.db.migrations import migrate
from shared.http.limits import BodySizeLimit
from shared.http.ops import ops_router, runtime_checks
from shared.http.openapi import document_problems
from shared.http.private import NoStore
from shared.http.problems import install_problem_handlers
from shared.http.ratelimit import RateLimit
from shared.notary.notary import Notary, notary_for
from shared.runtime import open_runtime, until_told_to_stop
from services.intake import metrics
from services.intake.adapters.aggregates import AggregateStore
from services.intake.adapters.event_index import MIGRATIONS, SCHEMA, EventIndex, EventIndexProjection
from services.intake.adapters.known_ids import KnownEventIds
from services.intake.application.intake import Intake
from services.intake.application.reading import EventReader
from services.intake.entrypoints.fast_path import FastWritePath, FrontedFastAPI
from services.intake.entrypoints.http import router
from services.intake.entrypoints.openapi import document_events

SERVICE = "intake"
CHANGES_LATE_SECONDS = 1.0  # how late a refresh may be before cached references are not trusted


def _readiness(app: FastAPI) -> dict:
    async def index() -> str | None:
        return app.state.indexer.health.reason

    async def notary() -> str | None:
        running: Notary | None = app.state.notary  # None: disabled (TILTS_NOTARY_ENABLED=false)
        return None if running is None else running.health.reason

    return runtime_checks(lambda: app.state.runtime) | {"index": index, "notary": notary}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The intake service as an ASGI app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics.start_series(sorted(catalogue.SPECS))
        runtime = await open_runtime(settings, SERVICE)
        async with runtime.pool.acquire() as connection:
            await migrate(connection, SCHEMA, MIGRATIONS)
        # Trusted only while fresh, and well inside JetStream's duplicate window (see known_ids.py).
        stale_after = min(30.0, settings.duplicate_window_seconds / 4)
        store = AggregateStore(runtime.log)
        refresh_seconds = min(1.0, stale_after / 2)
        known = KnownEventIds(runtime.pool, SCHEMA, stale_after=stale_after,
                              refresh_seconds=refresh_seconds, on_indexed=store.changed)
        # Another intake process's changes reach this cache with each refresh: while refreshes
        # are late, references are read up to date from the log instead (aggregates.py).
        store.changes_followed = lambda: known.refreshed_within(refresh_seconds + CHANGES_LATE_SECONDS)
        index = EventIndex(runtime.pool, known)
        indexer = ProjectionRunner(runtime.nc, runtime.js, runtime.pool, stream=settings.stream_name,
                                   subjects_filter=runtime.subjects.all(), schema=SCHEMA,
                                   projection=EventIndexProjection(runtime.keys))
        await indexer.prepare()
        notary = notary_for(runtime) if settings.notary_enabled else None
        if notary is not None:
            await until_told_to_stop(notary.prepare())  # a cluster may still be choosing its leader
        indexer.start()
        known.start()
        shredding = asyncio.create_task(runtime.keys.keep_shredding(), name="key-shredding")
        if notary is not None:
            notary.start()
        app.state.runtime = runtime
        app.state.tokens = runtime.tokens
        app.state.indexer = indexer
        app.state.notary = notary
        app.state.intake = Intake(runtime.log, store, runtime.keys, index, halted=lambda: indexer.log_behind)
        app.state.reader = EventReader(index, runtime.log, store, indexer)
        try:
            yield
        finally:
            if notary is not None:
                await notary.stop()
            shredding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await shredding
            await known.stop()
            await indexer.stop()
            await runtime.close()

    app = FrontedFastAPI(title="Tilts intake", version="1", lifespan=lifespan,
                         description="Mediator apps post events here; they are validated, authorised, "
                                     "sealed and appended to the event log of record.")
    install_problem_handlers(app)
    document_problems(app)
    document_events(app)
    app.add_middleware(NoStore)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # Rate limit first, then the hot write path; everything else goes on into FastAPI.
    app.put_in_front(lambda rest: RateLimit(FastWritePath(rest, app, settings.max_body_bytes),
                                            rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst))
    app.include_router(router)
    app.include_router(ops_router(SERVICE, _readiness(app)))
    return app
