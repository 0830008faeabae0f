"""A phone whose HTTP client gives up too soon, and re-sends the same events.

Its attempts time out one after another while the intake may still be working on them, so
identical batches can be in the intake at the same time; then it waits for a full answer. Every
event is stored once, and the answer lists as `duplicate`, at their stored sequences, the events
that an attempt it gave up on had already stored. The same holds for single events.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import pytest

from shared.roles import Role
from tests.support.fault_rig import MakeSystem, report
from tests.support.load import (Acknowledgements, Phone, Population, cloud_event, information_sessions,
                                register_population)

BATCH = 500
IMPATIENT_SECONDS = (0.05, 0.2, 0.5)  # each attempt gives up this soon: too soon for a batch of 500
SINGLES = 20
IMPATIENT_SINGLE_SECONDS = 0.002


async def _impatient(client: httpx.AsyncClient, token: str, path: str, document: dict[str, Any],
                     timeouts: tuple[float, ...]) -> int:
    """Post the same document with each timeout in turn, until one is answered; how many timed out."""
    timed_out = 0
    for timeout in timeouts:
        try:
            await client.post(path, json=document, timeout=timeout, headers={"Authorization": f"Bearer {token}"})
            return timed_out
        except httpx.TimeoutException:
            timed_out += 1
    return timed_out


def _single(population: Population, prefix: str, number: int) -> dict[str, Any]:
    return cloud_event("tilts.activity.recorded", {
        "activity_id": f"{prefix}-single-{number}", "kind": "consultation", "domain": "social",
        "municipality_id": population.municipality}, prefix)


@pytest.mark.parametrize("seconds", [
    pytest.param(0, id="short"),
    pytest.param(60, id="60s", marks=[pytest.mark.slow, pytest.mark.timeout(900)]),
])
async def test_a_client_that_times_out_and_resends_stores_every_event_once_and_hears_of_the_duplicates(
        systems: MakeSystem, unique_id: str, seconds: float) -> None:
    system = await systems()
    await system.start("intake", "reporting")
    population = await register_population(system.url("intake"), system.admin, unique_id, institutions=2)
    mediator = system.token(Role.MEDIATOR, population.mediator)
    acks, batches, singles, timeouts = Acknowledgements(), [], Counter[str](), 0
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=60) as client:
        patient = Phone(client, mediator, acks)
        round_ = 0
        while round_ < 2 or time.monotonic() - started < seconds:
            events = information_sessions(population, f"{unique_id}-r{round_}", BATCH)
            timeouts += await _impatient(client, mediator, "/v1/events:batch", {"events": events}, IMPATIENT_SECONDS)
            results = await patient.sync(events)
            assert results is not None
            batches.append(Counter(item["status"] for item in results))
            for number in range(SINGLES):
                body = _single(population, f"{unique_id}-r{round_}", number)
                timeouts += await _impatient(client, mediator, "/v1/events", body, (IMPATIENT_SINGLE_SECONDS,))
                answer = await patient.post(body)
                assert answer is not None
                singles["duplicate" if answer["duplicate"] else "created"] += 1
            round_ += 1
    verdict = await system.settle(acks)

    verdict.assert_nothing_lost_or_doubled(acks)
    assert all(b["created"] + b["duplicate"] == BATCH for b in batches), batches
    assert sum(b["duplicate"] for b in batches) + singles["duplicate"] > 0, "no attempt given up on was stored"
    report("client-timeouts", rounds=len(batches), seconds=round(time.monotonic() - started),
           acknowledged=acks.count, in_log_once=verdict.counted.exactly_once, log_events=verdict.counted.stored,
           attempts_timed_out=timeouts, batch_events=dict(sum(batches, Counter[str]())), singles=dict(singles),
           answers=dict(acks.answers), reports_compared=verdict.rebuilt.reports)
