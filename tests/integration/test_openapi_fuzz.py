"""Every service holds up against requests generated from its own OpenAPI (schemathesis).

Each service runs under a real uvicorn server on the session's NATS and PostgreSQL, with a small
world registered, and is sent generated requests as each role and with made-up tokens. Nothing
may answer 5xx, every answer must be what the schema documents, invalid input must be refused,
and every error must be a problem+json. Rate limiting is off here: 429s are tested on their own
(test_hostile_tokens.py), and a fuzzer on loopback would only hit the limit. 50 examples per
operation and mode keep the three runs near a minute on two cores.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from schemathesis import Case
from schemathesis.checks import positive_data_acceptance

from shared.config import Settings
from shared.roles import Role
from services.intake.bootstrap import create_app as create_intake
from services.notifications.bootstrap import create_app as create_notifications
from services.reporting.bootstrap import create_app as create_reporting
from tests.support.harness import Harness, event
from tests.support.live_server import running_live
from tests.support.notify import FAST
from tests.support.openapi_fuzz import GENERATED_TOKEN, Caller, FuzzPlan, FuzzReport, fuzz, load_schema
from tests.support.reporting import log_head
from tests.support.world import World, must_post

EXAMPLES_PER_OPERATION_AND_MODE = 50
UNLIMITED = {"rate_limit_per_second": 0.0}
# Switched off: `positive_data_acceptance` wants every schema-valid request answered 2xx (or
# 401/403/404/409). The schemas describe the shape of a request; the services also enforce what a
# schema cannot say, and answer 422 for it: an event's `data` must match its type's model and
# its `time` not be in the future, text must not be blank or hold control characters, a period's
# `to` must not be before its `from`, a cursor must be one the service gave out, a webhook must
# point at a public https address. Everything else the fuzzer checks stays on.
NOT_CHECKED = (positive_data_acceptance,)


@dataclass
class System:
    """The three services on one log, a world in it, and real values to ask about, by parameter name."""

    intake: Harness
    reporting: Harness
    notifications: Harness
    world: World
    known: dict[str, tuple[str, ...]]
    head: int


async def _populate(world: World) -> dict[str, tuple[str, ...]]:
    family = await world.family("family", persons=(world.id("child"),))
    case = await world.case(family, "case")
    cooperation = event("tilts.cooperation.recorded", {
        "cooperation_id": world.id("coop"), "institution_id": world.institution,
        "contact_id": world.contacts[0], "domain": "education", "channel": "meeting",
        "purpose": "kavējumu iemesli", "family_id": family, "case_id": case})
    await must_post(world.harness, cooperation, world.as_mediator)
    month = cooperation["time"][:7]
    return {"event_id": (cooperation["id"],), "family_id": (family,), "case_id": (case,),
            "mediator_id": (world.mediator,), "institution_id": (world.institution,),
            "municipality_id": (world.municipality,), "month": (month,), "from": (f"{month}-01",),
            "to": (cooperation["time"][:10],)}


@pytest.fixture(scope="module")
async def system(make_settings: Callable[..., Awaitable[Settings]]) -> AsyncIterator[System]:
    intake_settings = await make_settings(**UNLIMITED)
    async with running_live(create_intake, intake_settings) as intake:
        world = await World.create(intake, f"fz{uuid.uuid4().hex[:8]}")
        known = await _populate(world)
        shared_log = {"stream_name": intake_settings.stream_name, "subject_prefix": intake_settings.subject_prefix}
        reporting_settings = (await make_settings(**UNLIMITED)).model_copy(update=shared_log)
        notify_settings = (await make_settings(**UNLIMITED)).model_copy(update={
            **shared_log, **FAST, "intake_url": str(intake.client.base_url).rstrip("/"),
            "notify_public_url": "http://notifications.test"})
        async with running_live(create_reporting, reporting_settings) as reporting, \
                running_live(create_notifications, notify_settings) as notifications:
            subscribed = await notifications.client.post("/v1/subscriptions", headers=world.admin, json={
                "institution_id": world.institution, "channel": "email", "target": "skola@example.lv"})
            assert subscribed.status_code == 201, subscribed.text
            known["subscription_id"] = (subscribed.json()["id"],)
            yield System(intake, reporting, notifications, world, known, await log_head(intake))


def _callers(harness: Harness, world: World) -> tuple[Caller, ...]:
    def bearer(role: Role, subject: str, **scope: object) -> dict[str, str]:
        return harness.auth(role, subject, **scope)  # type: ignore[arg-type]
    return (GENERATED_TOKEN,
            Caller("admin", bearer(Role.ADMIN, "admin-1")),
            Caller("auditor", bearer(Role.AUDITOR, "auditor-1")),
            Caller("mediator", bearer(Role.MEDIATOR, world.mediator)),
            Caller("coordinator", bearer(Role.COORDINATOR, "coord-1", municipalities=(world.municipality,))),
            Caller("institution", bearer(Role.INSTITUTION, f"{world.institution}-api",
                                         institution=world.institution)))


def _waits_no_longer_than_the_log(head: int) -> Callable[[Case], None]:
    """A sequence beyond the log makes a read wait 5 s (then 503) for writes that never come:
    ask for the log's head instead, so the time goes into requests that test something."""
    def adjust(case: Case) -> None:
        for name in ("min_sequence", "as_of_sequence"):
            wanted = str((case.query or {}).get(name, ""))
            if wanted.isascii() and wanted.isdigit() and int(wanted) > head:
                case.query[name] = str(head)
    return adjust


async def _fuzz(system: System, harness: Harness, adjust: Callable[[Case], None] | None = None) -> FuzzReport:
    plan = FuzzPlan(load_schema(harness.app.openapi()), str(harness.client.base_url).rstrip("/"),
                    _callers(harness, system.world), EXAMPLES_PER_OPERATION_AND_MODE, system.known,
                    NOT_CHECKED, adjust)
    report = await asyncio.to_thread(fuzz, plan)
    assert not report.failures, "\n\n".join(report.failures)
    return report


async def test_the_intake_answers_every_generated_request_as_its_schema_says(system: System) -> None:
    report = await _fuzz(system, system.intake)
    assert {200, 401, 404} <= report.statuses("GET /v1/events/{event_id}")
    assert {401, 422} <= report.statuses("POST /v1/events")


async def test_reporting_answers_every_generated_request_as_its_schema_says(system: System) -> None:
    report = await _fuzz(system, system.reporting, _waits_no_longer_than_the_log(system.head))
    assert {200, 401, 422} <= report.statuses("GET /v1/families/{family_id}")
    assert 200 in report.statuses("GET /v1/cases/{case_id}")


async def test_notifications_answer_every_generated_request_as_their_schema_says(system: System) -> None:
    report = await _fuzz(system, system.notifications, _waits_no_longer_than_the_log(system.head))
    assert {200, 401} <= report.statuses("GET /v1/subscriptions")
    assert {200, 401, 403} <= report.statuses("GET /v1/institutions/reach")
    assert {401, 422} <= report.statuses("POST /v1/subscriptions")
