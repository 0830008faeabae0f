"""The reporting service's composition root: build the app, open its connections in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shared.http.private import NoStore
from shared.bus.projection import ProjectionRunner
from shared.config import Settings
from shared.db.migrations import migrate
from shared.http.ops import ops_router, runtime_checks
from shared.http.openapi import document_problems
from shared.http.problems import install_problem_handlers
from shared.http.ratelimit import RateLimit
from shared.runtime import open_runtime
from services.reporting.application.context import ReadContext
from services.reporting.entrypoints.audit import router as audit_router
from services.reporting.entrypoints.errors import install_read_errors
from services.reporting.entrypoints.http import router
from services.reporting.projections.projection import ReportingProjection
from services.reporting.projections.schema import ACCESS_MIGRATIONS, ACCESS_SCHEMA, MIGRATIONS, SCHEMA

SERVICE = "reporting"
CATCH_UP_BATCH = 2000  # events per transaction while catching up; a trickle still commits every ~20 ms


def _readiness(app: FastAPI) -> dict:
    async def projection() -> str | None:
        return app.state.projector.health.reason

    return runtime_checks(lambda: app.state.runtime) | {"projection": projection}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The reporting service as an ASGI app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await open_runtime(settings, SERVICE)
        async with runtime.pool.acquire() as connection:
            await migrate(connection, SCHEMA, MIGRATIONS)
            await migrate(connection, ACCESS_SCHEMA, ACCESS_MIGRATIONS)
        projector = ProjectionRunner(runtime.nc, runtime.js, runtime.pool, stream=settings.stream_name,
                                     subjects_filter=runtime.subjects.all(), schema=SCHEMA,
                                     projection=ReportingProjection(), batch_size=CATCH_UP_BATCH)
        await projector.prepare()
        projector.start()
        app.state.runtime = runtime
        app.state.tokens = runtime.tokens
        app.state.projector = projector
        app.state.reading = ReadContext(runtime.pool, SCHEMA, ACCESS_SCHEMA, runtime.keys, projector,
                                        log_head=runtime.log.last_sequence)
        try:
            yield
        finally:
            await projector.stop()
            await runtime.close()

    app = FastAPI(title="Tilts reporting", version="1", lifespan=lifespan,
                  description="Read models of the event log: families, cases, the cooperation ledger, "
                              "referrals and the mediators' reports, scoped by the caller's token.")
    install_problem_handlers(app)
    document_problems(app)
    install_read_errors(app)
    app.add_middleware(NoStore)
    app.add_middleware(RateLimit, rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst)
    app.include_router(router)
    app.include_router(audit_router)
    app.include_router(ops_router(SERVICE, _readiness(app)))
    return app
