"""Concurrent writers: optimistic concurrency never lets two conflicting writes both pass."""

from __future__ import annotations

import asyncio

from services.intake.bootstrap import create_app as create_intake
from tests.support.harness import Harness, event, running
from tests.support.world import World, must_post, post


async def test_twenty_writers_at_one_version_exactly_one_wins(intake: Harness, world: World) -> None:
    case_id = await world.case(await world.family())
    for version in (1, 2, 3):
        bodies = [{**world.activity(case_id, f"v{version}-w{n}"), "expectedversion": version} for n in range(20)]
        answers = await asyncio.gather(*(post(intake, b, world.as_mediator) for b in bodies))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201] + [409] * 19
        winner = next(a for a in answers if a.status_code == 201).json()
        assert winner["version"] == version + 1
        assert all(a.json()["current_version"] == version + 1 for a in answers if a.status_code == 409)


async def test_concurrent_writers_without_expected_versions_all_land_in_one_unbroken_chain(
        intake: Harness, world: World) -> None:
    case_id = await world.case(await world.family())
    bodies = [world.activity(case_id, f"free-{n}") for n in range(20)]
    answers = await asyncio.gather(*(post(intake, b, world.as_mediator) for b in bodies))
    assert [a.status_code for a in answers] == [201] * 20
    assert sorted(a.json()["version"] for a in answers) == list(range(2, 22))
    runtime = intake.app.state.runtime
    history = await runtime.log.history(runtime.subjects.aggregate(world.municipality, "case", case_id))
    assert [e.version for e in history] == list(range(1, 22))
    assert all(later.prevhash == earlier.hash for earlier, later in zip(history, history[1:]))


async def test_two_intake_processes_cannot_both_close_a_case_and_add_to_it(
        intake: Harness, world: World, make_settings) -> None:
    """A second intake with its own (stale) cache on the same log and database."""
    second_settings = intake.settings.model_copy(update={"database_url": intake.settings.database_url})
    async with running(create_intake, second_settings) as second:
        for round_ in range(5):
            case_id = await world.case(await world.family(f"fam-{round_}", surname=None), f"case-{round_}")
            # Warm the second process's cache with the open case.
            await must_post(second, world.activity(case_id, f"warm-{round_}"), world.as_mediator)
            close = event("tilts.case.closed", {"case_id": case_id, "resolution": "resolved"})
            late = world.activity(case_id, f"late-{round_}")
            closed, added = await asyncio.gather(post(intake, close, world.as_mediator),
                                                 post(second, late, world.as_mediator))
            assert closed.status_code == 201
            if added.status_code == 201:
                assert added.json()["sequence"] < closed.json()["sequence"]
            else:
                assert added.status_code == 409


async def test_a_batch_racing_another_writer_falls_back_to_one_by_one(intake: Harness, world: World) -> None:
    case_id = await world.case(await world.family())
    async with running(create_intake, intake.settings) as second:
        await must_post(second, world.activity(case_id, "second-warm"), world.as_mediator)  # second caches v2
        await must_post(intake, world.activity(case_id, "first-moves"), world.as_mediator)  # log moves to v3
        batch = {"events": [world.activity(case_id, "b1"), world.activity(case_id, "b2")]}
        answer = await second.client.post("/v1/events:batch", json=batch, headers=world.as_mediator)
        assert answer.status_code == 200
        assert [r["status"] for r in answer.json()["results"]] == ["created", "created"]
        assert [r["version"] for r in answer.json()["results"]] == [4, 5]
