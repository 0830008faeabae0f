"""A 3-node JetStream cluster (stream at R3) loses nodes under a sustained write load.

Phones post mixed work through the intake's HTTP API the whole time. In each round one follower
is SIGKILLed and brought back, then the stream's leader, then the leader and a follower together
(no quorum: nothing can be written until one is back). Writes go on, or fail with a 503 that
says when to retry, and the phones' re-sends succeed. At the end every acknowledged event is in
the log exactly once, at the sequence the API answered, and the reports equal a rebuild.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
import nats.errors
import pytest

from shared.embedded import EmbeddedNats
from shared.roles import Role
from tests.support.fault_rig import FaultSystem, MakeSystem, report
from tests.support.load import Acknowledgements, Phone, information_sessions, phones_working, register_population

PHONES = 4
CALM_SECONDS = 1.5  # load on a healthy cluster before each kill
DOWN_SECONDS = 1.5  # how long killed nodes stay down
PHONE_TIMEOUT_SECONDS = 15.0  # a phone gives up on an answer and re-sends after this
KILLS = ("follower", "leader", "quorum")


@dataclass
class NodeKill:
    """Nodes SIGKILLed together, and how the cluster came back."""

    what: str  # "follower", "leader", or "quorum" (the leader and a follower: two of three nodes)
    at: float  # monotonic
    new_leader_after: float | None  # a leader kill: seconds until another node led the stream
    current_after: float  # seconds from the restart until every replica was current again


async def _new_leader(system: FaultSystem, old: str, timeout: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            info = await (await system.nats()).jetstream(timeout=2).stream_info(system.settings.stream_name)
            if info.cluster and info.cluster.leader and info.cluster.leader != old:
                return time.monotonic() - started
        except (nats.errors.Error, asyncio.TimeoutError):  # no leader to answer yet
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"no new stream leader within {timeout} s")


def _victims(system: FaultSystem, leader: EmbeddedNats, what: str) -> list[EmbeddedNats]:
    follower = next(n for n in system.nats_nodes if n is not leader)
    return {"follower": [follower], "leader": [leader], "quorum": [leader, follower]}[what]


async def _kill_and_bring_back(system: FaultSystem, what: str) -> NodeKill:
    leader = await system.stream_leader()
    victims = _victims(system, leader, what)
    at = time.monotonic()
    for node in victims:
        node.kill()
    elected = await _new_leader(system, leader.server_name) if what == "leader" else None
    await asyncio.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - at)))
    await asyncio.gather(*(asyncio.to_thread(node.start) for node in victims))
    back = time.monotonic()
    await system.stream_leader()  # every replica current again
    return NodeKill(what, at, elected, time.monotonic() - back)


async def _rounds_of_kills(system: FaultSystem, kinds: tuple[str, ...], seconds: float) -> list[NodeKill]:
    """Kills of each kind in turn (a follower, the leader, two nodes at once), round after round,
    for about `seconds`."""
    kills: list[NodeKill] = []
    started = time.monotonic()
    while True:
        round_started = time.monotonic()
        for what in kinds:
            await asyncio.sleep(CALM_SECONDS)
            kills.append(await _kill_and_bring_back(system, what))
        if time.monotonic() - started + (time.monotonic() - round_started) > seconds:
            return kills


@pytest.mark.parametrize(("load_seconds", "kinds"), [
    pytest.param(10, ("follower", "leader"), id="short"),
    pytest.param(60, KILLS, id="60s", marks=[pytest.mark.slow, pytest.mark.timeout(900)]),
])
async def test_acknowledged_events_stay_exactly_once_when_nodes_and_the_stream_leader_are_killed(
        nats_cluster: list[EmbeddedNats], systems: MakeSystem, unique_id: str, load_seconds: float,
        kinds: tuple[str, ...]) -> None:
    system = await systems(nats_nodes=nats_cluster)
    await system.start("intake", "reporting")
    population = await register_population(system.url("intake"), system.admin, unique_id, institutions=3)
    acks = Acknowledgements()
    mediator = system.token(Role.MEDIATOR, population.mediator)
    async with phones_working(system.url("intake"), mediator, population, unique_id, acks, phones=PHONES,
                              timeout=PHONE_TIMEOUT_SECONDS):
        load_started = time.monotonic()
        kills = await _rounds_of_kills(system, kinds, load_seconds)
        await asyncio.sleep(max(0.0, load_seconds - (time.monotonic() - load_started)))
    loaded_for = time.monotonic() - load_started
    verdict = await system.settle(acks)

    verdict.assert_nothing_lost_or_doubled(acks)
    assert {k.what for k in kills} == set(kinds)
    report("nats-node-kills", load_seconds=round(loaded_for),
           acknowledged=acks.count, in_log_once=verdict.counted.exactly_once, log_events=verdict.counted.stored,
           answers=dict(acks.answers), longest_wait_s=round(acks.longest_wait, 2),
           kills=[{"what": k.what, "new_leader_s": k.new_leader_after and round(k.new_leader_after, 2),
                   "first_ack_after_kill_s": round(acks.first_acknowledged_after(k.at) or -1, 2),
                   "replicas_current_s": round(k.current_after, 2)} for k in kills],
           catch_up_s=round(verdict.catch_up_seconds, 2), reports_compared=verdict.rebuilt.reports)


async def test_without_a_quorum_writes_are_refused_with_503_and_a_resend_stores_them_once(
        nats_cluster: list[EmbeddedNats], systems: MakeSystem, unique_id: str) -> None:
    seed, *others = nats_cluster
    system = await systems(nats_nodes=nats_cluster, connect_to=[seed])  # the intake stays on the node that lives
    await system.start("intake", "reporting")
    population = await register_population(system.url("intake"), system.admin, unique_id, institutions=1)
    mediator = system.token(Role.MEDIATOR, population.mediator)
    single = information_sessions(population, f"{unique_id}-single", 1)[0]
    batch = information_sessions(population, f"{unique_id}-batch", 20)
    for node in others:
        node.kill()
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=PHONE_TIMEOUT_SECONDS,
                                 headers={"Authorization": f"Bearer {mediator}"}) as client:
        refused = await asyncio.gather(client.post("/v1/events", json=single),
                                       client.post("/v1/events:batch", json={"events": batch}))
        for node in others:
            await asyncio.to_thread(node.start)
        acks = Acknowledgements()
        phone = Phone(client, mediator, acks)
        assert await phone.post(single) is not None and await phone.sync(batch) is not None, acks.problems()
    verdict = await system.settle(acks)

    assert [(r.status_code, "retry-after" in r.headers) for r in refused] == [(503, True), (503, True)], \
        [r.text for r in refused]
    assert verdict.counted.ok and verdict.counted.acknowledged == 1 + len(batch), verdict.counted
    assert verdict.reports_match_a_rebuild, verdict.rebuilt
