"""Each service SIGKILLed in the middle of its work and started again, while phones keep posting.

In each round, in turn:
- notifications, while webhooks are being answered: every cooperation is still delivered; those
  in flight at the kill go out again once their lease runs out (at least once, as the contract
  says), so a receiver may see their `webhook-id` twice;
- reporting, while it catches up on a backlog: it resumes from the position it committed;
- the intake, while it handles a day-sync batch of 500 — once while it is still deciding, once
  just after JetStream stored the batch, before the client had its answer. The phone re-sends the
  same batch: what was stored is answered as duplicates at its stored sequences, the rest created.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shared.roles import Role
from tests.support.fault_rig import FaultSystem, MakeSystem, report
from tests.support.inboxes import WebhookReceiver, eventually
from tests.support.live_server import serving
from tests.support.load import (Acknowledgements, Phone, Population, cooperations, information_sessions,
                                phones_working, register_population, subscribe_webhooks)
from tests.support.log_count import stored_sequences

PHONES = 2
BATCH = 500
BACKLOG_BATCHES = 2  # posted while reporting is down, for it to catch up on
COOPERATIONS = 40  # posted at once before notifications is killed, so that deliveries queue up
RECEIVER_SECONDS = 0.2  # each webhook answer takes this long, so some are always in flight
DECIDING_FRACTION = 0.3  # the "still deciding" kill comes this far into a batch's usual handling time


@dataclass
class KilledBatch:
    """A batch whose intake was killed, and what the re-send was answered."""

    moment: str  # "deciding" or "stored"
    answered_before_kill: bool
    stored_before_resend: int
    created: int
    duplicate: int
    ready_again_s: float


@dataclass
class Round:
    """What one round of kills found."""

    webhooks_in_flight: int  # answers the receiver was still giving when notifications died
    reporting_position: int | None  # where reporting's committed position stood when it died...
    reporting_head: int  # ...of this many events in the log
    batches: list[KilledBatch]


async def _kill_notifications_mid_delivery(system: FaultSystem, phone: Phone, population: Population,
                                           receiver: WebhookReceiver, prefix: str) -> int:
    results = await phone.sync(cooperations(population, prefix, COOPERATIONS))
    assert results is not None
    phone.acks.cooperations.update(item["id"] for item in results)
    seen = len(receiver.requests)
    await eventually(lambda: len(receiver.requests) > seen, 60, 0.01, what="a webhook in flight")
    system.services["notifications"].kill()
    return sum(1 for r in receiver.requests if r.at > time.time() - RECEIVER_SECONDS)


async def _kill_reporting_mid_catch_up(system: FaultSystem, phone: Phone, population: Population,
                                       prefix: str) -> tuple[int | None, int]:
    if "reporting" in system.services:  # the backlog grows while reporting is down
        system.services["reporting"].kill()
    for n in range(BACKLOG_BATCHES):
        assert await phone.sync(information_sessions(population, f"{prefix}-{n}", BATCH)) is not None
    await system.start("reporting")
    position, head = await system.position("reporting"), await system.log_head()
    system.services["reporting"].kill()
    return position, head


async def _post_once(client: httpx.AsyncClient, token: str, events: list[dict[str, Any]]) -> httpx.Response | None:
    try:
        return await client.post("/v1/events:batch", json={"events": events}, timeout=60,
                                 headers={"Authorization": f"Bearer {token}"})
    except httpx.TransportError:
        return None


async def _until_stored(system: FaultSystem, population: Population, event: dict[str, Any]) -> None:
    deadline = time.monotonic() + 60
    while not await system.aggregate_stored(population.municipality, "activity", event["data"]["activity_id"]):
        assert time.monotonic() < deadline, "the batch never reached the log"
        await asyncio.sleep(0.002)


async def _kill_intake_mid_batch(system: FaultSystem, phone: Phone, token: str, population: Population, prefix: str,
                                 moment: str, usual_seconds: float) -> KilledBatch:
    events = information_sessions(population, prefix, BATCH)
    posting = asyncio.create_task(_post_once(phone.client, token, events))
    if moment == "deciding":
        await asyncio.sleep(usual_seconds * DECIDING_FRACTION)
    else:
        await _until_stored(system, population, events[-1])
    system.services["intake"].kill()
    answered = await posting is not None
    stored = await stored_sequences(system.settings.nats_url or "", system.settings.stream_name)
    before = sum(1 for e in events if e["id"] in stored)
    ready_again = await system.start("intake")
    results = await phone.sync(events)
    assert results is not None
    statuses = Counter(item["status"] for item in results)
    return KilledBatch(moment, answered, before, statuses["created"], statuses["duplicate"], ready_again)


@pytest.mark.parametrize("rounds", [
    pytest.param(1, id="short"),
    pytest.param(5, id="5-rounds", marks=[pytest.mark.slow, pytest.mark.timeout(900)]),
])
async def test_each_service_killed_mid_work_loses_nothing_and_stores_nothing_twice(
        systems: MakeSystem, unique_id: str, rounds: int) -> None:
    system = await systems()
    await system.start("intake", "notifications")  # reporting first starts with a backlog to catch up on
    population = await register_population(system.url("intake"), system.admin, unique_id, institutions=4)
    mediator = system.token(Role.MEDIATOR, population.mediator)
    receiver, acks, found = WebhookReceiver(lambda n: (RECEIVER_SECONDS, 204)), Acknowledgements(), []
    async with serving(receiver, lifespan="off") as receiver_url:
        await subscribe_webhooks(system.url("notifications"), system.admin, population.institutions, receiver_url)
        async with phones_working(system.url("intake"), mediator, population, unique_id, acks,
                                  phones=PHONES) as client:
            phone = Phone(client, mediator, acks)
            started = time.monotonic()
            assert await phone.sync(information_sessions(population, f"{unique_id}-usual", BATCH)) is not None
            usual = time.monotonic() - started
            for n in range(rounds):
                # Each killed service is started again in the background while the next is killed.
                in_flight = await _kill_notifications_mid_delivery(system, phone, population, receiver,
                                                                   f"{unique_id}-n{n}")
                restarts = [asyncio.create_task(system.start("notifications"))]
                position, head = await _kill_reporting_mid_catch_up(system, phone, population, f"{unique_id}-r{n}")
                restarts.append(asyncio.create_task(system.start("reporting")))
                batches = [await _kill_intake_mid_batch(system, phone, mediator, population,
                                                        f"{unique_id}-{moment}{n}", moment, usual)
                           for moment in ("deciding", "stored")]
                await asyncio.gather(*restarts)
                found.append(Round(in_flight, position, head, batches))
        delivered_in = await system.all_delivered(receiver, acks.cooperations, timeout=180)
        verdict = await system.settle(acks, ("intake", "reporting", "notifications"))

    repeats = sum(n - 1 for n in Counter(receiver.ids()).values())
    verdict.assert_nothing_lost_or_doubled(acks, receiver.ids())
    # Only sends in flight at a kill go out again: at most as many as may be in flight to one origin.
    assert repeats <= rounds * system.settings.notify_per_target_concurrency, Counter(receiver.ids()).most_common(5)
    assert any((r.reporting_position or 0) < r.reporting_head for r in found), found  # a kill mid-catch-up
    for batch in (b for r in found for b in r.batches):
        assert batch.stored_before_resend in (0, BATCH), batch  # an atomic batch: all of it or nothing
        assert (batch.duplicate, batch.created) == (batch.stored_before_resend, BATCH - batch.stored_before_resend)
        if batch.moment == "stored":
            assert batch.stored_before_resend == BATCH, batch
    report("service-sigkills", rounds=rounds, acknowledged=acks.count, in_log_once=verdict.counted.exactly_once,
           log_events=verdict.counted.stored, answers=dict(acks.answers), usual_batch_s=round(usual, 2),
           longest_wait_s=round(acks.longest_wait, 2), cooperations=len(acks.cooperations),
           webhooks=len(receiver.requests), webhooks_repeated=repeats,
           all_delivered_after_load_s=round(delivered_in, 2),
           rounds_found=[{"webhooks_in_flight": r.webhooks_in_flight, "reporting_position": r.reporting_position,
                          "reporting_head": r.reporting_head,
                          "batches": [vars(b) | {"ready_again_s": round(b.ready_again_s, 2)} for b in r.batches]}
                         for r in found],
           reports_compared=verdict.rebuilt.reports)
