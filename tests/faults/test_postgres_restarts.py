"""PostgreSQL goes away and comes back — SIGKILLed and started again, or shut down cleanly and
restarted — while the reporting projection catches up on a backlog, and while notifications are
in the middle of delivering webhooks. The short run SIGKILLs it during the catch-up and restarts
it cleanly during a delivery; the long run does the opposite, round after round.

Phones post mixed work all along; while PostgreSQL is away the intake answers 503 with
`Retry-After` and the phones' re-sends succeed later. At the end every acknowledged event is in
the log exactly once, the reports equal a rebuild, and every acknowledged cooperation reached its
institution's webhook — at least once is the contract's promise, and to a healthy receiver it
arrives exactly once: a send answered while PostgreSQL was away is recorded once it is back.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from shared.embedded import EmbeddedPostgres
from shared.roles import Role
from tests.support.fault_rig import FaultSystem, MakeSystem, report
from tests.support.inboxes import WebhookReceiver, eventually
from tests.support.live_server import serving
from tests.support.load import (Acknowledgements, Phone, Population, information_sessions, phones_working,
                                register_population, subscribe_webhooks)

PHONES = 2
BACKLOG_BATCHES = 2  # day-syncs of 500 events posted while reporting is down, for it to catch up on
BATCH = 500
RECEIVER_SECONDS = 0.1  # each webhook answer takes this long, so there are always deliveries in flight
CALM_SECONDS = 2.0


@dataclass
class Bounce:
    """One time PostgreSQL went away, what was happening, and how long things took to come back."""

    during: str
    away: float  # seconds PostgreSQL was not answering (as the test saw it)
    detail: dict[str, float | int | None]


def _restarter(postgres: EmbeddedPostgres, how: str) -> Callable[[], Awaitable[float]]:
    async def bounce() -> float:
        started = time.monotonic()
        if how == "sigkill":
            postgres.kill()
            await asyncio.to_thread(postgres.start)
        else:
            await asyncio.to_thread(postgres.restart)
        return time.monotonic() - started
    return bounce


async def _during_catch_up(system: FaultSystem, phone: Phone, population: Population, prefix: str,
                           bounce: Callable[[], Awaitable[float]]) -> Bounce:
    """Reporting is down while a backlog is posted; it is started, and PostgreSQL goes away as it catches up."""
    if "reporting" in system.services:
        system.services["reporting"].stop()
    for n in range(BACKLOG_BATCHES):
        assert await phone.sync(information_sessions(population, f"{prefix}-{n}", BATCH)) is not None
    await system.start("reporting")
    head, position = await system.log_head(), await system.position("reporting")
    away = await bounce()
    back = time.monotonic()
    await system.caught_up(["reporting"], head)
    return Bounce("catch-up", away, {"position_at_restart": position, "backlog_head": head,
                                     "caught_up_after_s": round(time.monotonic() - back, 2)})


async def _during_delivery(receiver: WebhookReceiver, bounce: Callable[[], Awaitable[float]]) -> Bounce:
    """PostgreSQL goes away while a webhook is being answered."""
    seen = len(receiver.requests)
    await eventually(lambda: len(receiver.requests) > seen, 60, 0.01, what="a webhook in flight")
    in_flight_at = receiver.requests[-1].at
    away = await bounce()
    back = time.time()
    await eventually(lambda: receiver.requests[-1].at > back, 60, 0.05, what="a webhook after the restart")
    return Bounce("delivery", away, {"next_webhook_after_s": round(receiver.requests[-1].at - back, 2),
                                     "answering_since_s": round(back - in_flight_at, 2)})


@pytest.mark.parametrize(("during_catch_up", "during_delivery", "rounds"), [
    pytest.param("sigkill", "clean", 1, id="short"),
    pytest.param("clean", "sigkill", 5, id="5-rounds", marks=[pytest.mark.slow, pytest.mark.timeout(900)]),
])
async def test_postgres_restarts_during_catch_up_and_delivery_lose_nothing_and_send_nothing_twice(
        own_postgres: EmbeddedPostgres, systems: MakeSystem, unique_id: str, during_catch_up: str,
        during_delivery: str, rounds: int) -> None:
    system = await systems(postgres=own_postgres)
    await system.start("intake", "notifications")
    population = await register_population(system.url("intake"), system.admin, unique_id, institutions=4)
    mediator = system.token(Role.MEDIATOR, population.mediator)
    receiver = WebhookReceiver(lambda n: (RECEIVER_SECONDS, 204))
    bounces: list[Bounce] = []
    acks = Acknowledgements()
    async with serving(receiver, lifespan="off") as receiver_url:
        await subscribe_webhooks(system.url("notifications"), system.admin, population.institutions, receiver_url)
        load_started = time.monotonic()
        async with phones_working(system.url("intake"), mediator, population, unique_id, acks,
                                  phones=PHONES) as client:
            phone = Phone(client, mediator, acks)
            for n in range(rounds):
                bounces.append(await _during_catch_up(system, phone, population, f"{unique_id}-r{n}",
                                                      _restarter(own_postgres, during_catch_up)))
                bounces.append(await _during_delivery(receiver, _restarter(own_postgres, during_delivery)))
                if n < rounds - 1:
                    await asyncio.sleep(CALM_SECONDS)
        loaded_for = time.monotonic() - load_started
        delivered_in = await system.all_delivered(receiver, acks.cooperations)
        verdict = await system.settle(acks, ("intake", "reporting", "notifications"))

    repeats = sum(n - 1 for n in Counter(receiver.ids()).values())
    verdict.assert_nothing_lost_or_doubled(acks, receiver.ids())
    assert repeats == 0, Counter(receiver.ids()).most_common(5)  # the receiver was healthy throughout
    report("postgres-restarts", catch_up=during_catch_up, delivery=during_delivery, rounds=rounds,
           load_seconds=round(loaded_for), acknowledged=acks.count, in_log_once=verdict.counted.exactly_once,
           log_events=verdict.counted.stored, answers=dict(acks.answers), longest_wait_s=round(acks.longest_wait, 2),
           cooperations=len(acks.cooperations), webhooks=len(receiver.requests), webhooks_repeated=repeats,
           all_delivered_after_load_s=round(delivered_in, 2),
           catch_up_s=round(verdict.catch_up_seconds, 2),
           bounces=[{"during": b.during, "away_s": round(b.away, 2), **b.detail} for b in bounces],
           reports_compared=verdict.rebuilt.reports)
