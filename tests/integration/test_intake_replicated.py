"""The intake's duplicate and conflict handling holds on a single node (R1) and a 3-node cluster (R3).

After a lost ack the event may already be stored; the two answer a re-send differently (a
duplicate ack, 10071 or 10164), so the intake always looks in the aggregate's history first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from shared.bus.eventlog import LogUnavailable
from shared.embedded import EmbeddedNats, start_cluster
from services.intake.bootstrap import create_app as create_intake
from tests.support.harness import Harness, running
from tests.support.world import World, must_post, post


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[EmbeddedNats]]:
    servers = start_cluster(tmp_path_factory.mktemp("cluster"), 3)
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(params=["R1", "R3"])
async def replicated_intake(request: pytest.FixtureRequest, make_settings, nats_url: str
                            ) -> AsyncIterator[Harness]:
    if request.param == "R1":
        settings = await make_settings(duplicate_window_seconds=1.0)
    else:
        servers = request.getfixturevalue("cluster")
        settings = await make_settings(nats_url=",".join(s.url for s in servers), stream_replicas=3,
                                       duplicate_window_seconds=1.0)
    async with running(create_intake, settings) as harness:
        yield harness


def _lose_the_next_ack(intake: Harness) -> None:
    """The next append reaches JetStream and is stored, but its ack never comes back."""
    log = intake.app.state.runtime.log
    original = log.append

    async def stored_then_lost(item):
        log.append = original
        await original(item)
        raise LogUnavailable("ack lost")

    log.append = stored_then_lost


async def test_a_resend_after_a_lost_ack_is_answered_as_a_duplicate(replicated_intake: Harness, unique_id: str) -> None:
    intake = replicated_intake
    world = await World.create(intake, unique_id)
    case_id = await world.case(await world.family(surname=None))
    body = world.activity(case_id, "lost-ack")
    _lose_the_next_ack(intake)
    first = await post(intake, body, world.as_mediator)
    assert first.status_code == 503 and "Retry-After" in first.headers
    again = await post(intake, body, world.as_mediator)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    await asyncio.sleep(1.2)  # past JetStream's duplicate window: only the history check is left
    later = await post(intake, body, world.as_mediator)
    assert later.status_code == 200 and later.json()["sequence"] == again.json()["sequence"]
    runtime = intake.app.state.runtime
    history = await runtime.log.history(runtime.subjects.aggregate(world.municipality, "case", case_id))
    assert [e.id for e in history].count(body["id"]) == 1


async def test_concurrent_writers_at_one_version_exactly_one_wins(replicated_intake: Harness, unique_id: str) -> None:
    intake = replicated_intake
    world = await World.create(intake, unique_id)
    case_id = await world.case(await world.family(surname=None))
    bodies = [{**world.activity(case_id, f"w{n}"), "expectedversion": 1} for n in range(20)]
    answers = await asyncio.gather(*(post(intake, b, world.as_mediator) for b in bodies))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 19


async def test_an_id_reused_for_another_aggregate_is_a_conflict_on_every_topology(
        replicated_intake: Harness, unique_id: str) -> None:
    intake = replicated_intake
    world = await World.create(intake, unique_id)
    first = world.activity(None, "one", municipality_id=world.municipality)
    await must_post(intake, first, world.as_mediator)
    other = world.activity(None, "two", municipality_id=world.municipality)
    assert (await post(intake, {**other, "id": first["id"]}, world.as_mediator)).status_code == 409
    await asyncio.sleep(1.2)
    assert (await post(intake, {**other, "id": first["id"]}, world.as_mediator)).status_code == 409


async def test_the_stream_is_replicated_as_configured(replicated_intake: Harness) -> None:
    runtime = replicated_intake.app.state.runtime
    info = await runtime.js.stream_info(runtime.settings.stream_name)
    assert info.config.num_replicas == runtime.settings.stream_replicas
