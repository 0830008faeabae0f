"""The notifications service's composition root: build the app, open its connections in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from shared.http.private import NoStore
from shared.bus.projection import ProjectionRunner
from shared.config import Settings
from shared.crypto.master_key import load_master_key
from shared.db.migrations import migrate
from shared.http.limits import BodySizeLimit
from shared.http.ops import ops_router, runtime_checks
from shared.http.openapi import amend_openapi, document_problems
from shared.http.problems import install_database_unavailable, install_problem_handlers
from shared.http.ratelimit import RateLimit
from shared.runtime import Runtime, open_runtime
from services.notifications.adapters.deliveries import DeliveryStore
from services.notifications.adapters.email import EmailSender
from services.notifications.adapters.fanout import FanOutProjection
from services.notifications.adapters.intake_client import IntakeClient
from services.notifications.adapters.keys import WebhookSecrets, derive_key
from services.notifications.adapters.links import LinkStore
from services.notifications.adapters.resolver import SystemResolver
from services.notifications.adapters.reach import ReachStore
from services.notifications.adapters.schema import MIGRATIONS, SCHEMA, WAKE_CHANNEL
from services.notifications.adapters.subscriptions import SubscriptionStore
from services.notifications.adapters.templates import Templates
from services.notifications.adapters.wakeup import Wakeup
from services.notifications.adapters.webhooks import WebhookSender
from services.notifications.application.answering import LinkAnswers
from services.notifications.application.couriers import Composer, Courier, EmailCourier, WebhookCourier
from services.notifications.application.deliveries import Deliveries
from services.notifications.application.reach import Reach
from services.notifications.application.delivering import DeliveryWorker, WorkerLimits
from services.notifications.application.subscribing import Subscriptions
from services.notifications.domain.backoff import Backoff
from services.notifications.entrypoints import http, links, responses

SERVICE = "notifications"
CATCH_UP_SECONDS = 5.0


@dataclass
class Parts:
    """What the lifespan opened and must close, in reverse order."""

    runtime: Runtime
    fanout: ProjectionRunner
    wakeup: Wakeup
    worker: DeliveryWorker
    webhooks: WebhookSender
    intake: IntakeClient

    async def close(self, grace_seconds: float) -> None:
        await self.worker.stop(grace_seconds)
        await self.wakeup.stop()
        await self.fanout.stop()
        await self.webhooks.close()
        await self.intake.close()
        await self.runtime.close()


def _readiness(app: FastAPI) -> dict:
    async def fanout() -> str | None:
        return app.state.parts.fanout.health.reason

    return runtime_checks(lambda: app.state.parts.runtime) | {"fanout": fanout}


def _worker(settings: Settings, store: DeliveryStore, webhooks: WebhookSender, secrets: WebhookSecrets,
            composer: Composer, templates: Templates, wakeup: Wakeup) -> DeliveryWorker:
    email = EmailSender(settings.smtp_url, settings.notify_email_from, settings.notify_timeout_seconds)
    couriers: dict[str, Courier] = {"webhook": WebhookCourier(webhooks, secrets, composer),
                "email": EmailCourier(email, templates, composer)}
    limits = WorkerLimits(concurrency=settings.notify_concurrency,
                          per_origin=settings.notify_per_target_concurrency,
                          lease_seconds=max(30.0, 3 * settings.notify_timeout_seconds),
                          poll_seconds=settings.notify_poll_seconds, max_attempts=settings.notify_max_attempts)
    backoff = Backoff(settings.notify_backoff_base_seconds, settings.notify_backoff_cap_seconds)
    return DeliveryWorker(store, couriers, backoff, limits, wakeup.event)


async def _open(app: FastAPI, settings: Settings) -> Parts:
    runtime = await open_runtime(settings, SERVICE)
    async with runtime.pool.acquire() as connection:
        await migrate(connection, SCHEMA, MIGRATIONS)
    master_key = load_master_key(settings)
    secrets = WebhookSecrets(derive_key(master_key, "webhook-secrets"))
    link_key = derive_key(master_key, "answer-links")
    fanout = ProjectionRunner(runtime.nc, runtime.js, runtime.pool, stream=settings.stream_name,
                              subjects_filter=runtime.subjects.all(), schema=SCHEMA,
                              projection=FanOutProjection(settings.notify_digest_hour))
    await fanout.prepare()
    resolver = SystemResolver()
    webhooks = WebhookSender(resolver, allow_private=settings.notify_allow_private_targets,
                             timeout=settings.notify_timeout_seconds,
                             per_origin=settings.notify_per_target_concurrency)
    intake = IntakeClient(settings.intake_base_url(), runtime.tokens)
    templates = Templates()
    composer = Composer(link_key, settings.notifications_public_url(), settings.intake_public_url(),
                        settings.notify_link_ttl)
    wakeup = Wakeup(settings.database_url or "", WAKE_CHANNEL)
    store = DeliveryStore(runtime.pool)
    worker = _worker(settings, store, webhooks, secrets, composer, templates, wakeup)

    async def catch_up(sequence: int) -> bool:
        return await fanout.wait_for(sequence, CATCH_UP_SECONDS)

    app.state.tokens = runtime.tokens
    app.state.templates = templates
    app.state.subscriptions = Subscriptions(SubscriptionStore(runtime.pool), secrets, resolver,
                                            allow_private=settings.notify_allow_private_targets,
                                            log_head=runtime.log.last_sequence, catch_up=catch_up)
    app.state.deliveries = Deliveries(store)
    app.state.reach = Reach(ReachStore(runtime.pool), lambda: fanout.position, catch_up, runtime.log.last_sequence)
    app.state.link_answers = LinkAnswers(link_key, LinkStore(runtime.pool), intake)
    fanout.start()
    wakeup.start()
    worker.start()
    return Parts(runtime, fanout, wakeup, worker, webhooks, intake)


def document_webhooks(app: FastAPI) -> None:
    """Add what a webhook subscription receives to the OpenAPI document (`webhooks`)."""
    amend_openapi(app, lambda document: document.setdefault("webhooks", {}).update(notice={"post": responses.WEBHOOK}))


def create_app(settings: Settings | None = None) -> FastAPI:
    """The notifications service as an ASGI app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.parts = await _open(app, settings)
        try:
            yield
        finally:
            await app.state.parts.close(grace_seconds=settings.notify_timeout_seconds)

    app = FastAPI(title="Tilts notifications", version="1", lifespan=lifespan,
                  description="Tells institutions, by signed webhook or email, when a Roma mediator recorded "
                              "a cooperation with their staff or referred a family to them, and takes their "
                              "acknowledgement back to the intake.")
    install_problem_handlers(app)
    install_database_unavailable(app, "the notifications' database is unavailable; try again")
    document_problems(app)
    document_webhooks(app)
    app.add_middleware(NoStore)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RateLimit, rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst)
    app.include_router(http.router)
    app.include_router(links.router)
    app.include_router(ops_router(SERVICE, _readiness(app)))
    return app
