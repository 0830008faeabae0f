"""A decision that rests on another aggregate (the family is not erased, the case is open, the
mediator works here) cannot be overtaken by a change to that aggregate: not by a concurrent
request in this process, and not, beyond about a second, by another intake process."""

from __future__ import annotations

import asyncio
import random

import httpx

from services.intake.bootstrap import create_app as create_intake
from tests.support.harness import Harness, event, running
from tests.support.world import World, must_post, post


def _erasure(family_id: str) -> dict:
    return event("tilts.family.erased", {"family_id": family_id, "reason": "the family asked"})


def _after(answers: list[httpx.Response], sequence: int) -> list[int]:
    """The sequences of the accepted answers stored after `sequence`."""
    return [a.json()["sequence"] for a in answers if a.status_code == 201 and a.json()["sequence"] > sequence]


async def test_no_activity_for_a_family_is_stored_after_its_erasure_when_they_race(
        intake: Harness, world: World) -> None:
    for round_ in range(4):
        family_id = await world.family(f"race-{round_}", surname=None)
        bodies = [(world.activity(None, f"race-{round_}-{n}", family_id=family_id), world.as_mediator)
                  for n in range(12)]
        bodies.append((_erasure(family_id), world.admin))
        random.shuffle(bodies)
        answers = await asyncio.gather(*(post(intake, body, headers) for body, headers in bodies))
        erased = next(a for (body, _), a in zip(bodies, answers) if body["type"] == "tilts.family.erased")
        assert erased.status_code == 201, erased.text
        others = [a for (body, _), a in zip(bodies, answers) if body["type"] != "tilts.family.erased"]
        assert {a.status_code for a in others} <= {201, 409}
        assert _after(others, erased.json()["sequence"]) == []


async def test_no_batch_item_for_a_family_is_stored_after_its_erasure_when_they_race(
        intake: Harness, world: World) -> None:
    family_id = await world.family("batch-race", surname=None)

    async def batch(n: int) -> httpx.Response:
        events = [world.activity(None, f"batch-race-{n}-{k}", family_id=family_id) for k in range(3)]
        return await intake.client.post("/v1/events:batch", json={"events": events}, headers=world.as_mediator)

    answers = await asyncio.gather(*(batch(n) for n in range(8)), post(intake, _erasure(family_id), world.admin))
    erased = answers[-1]
    assert erased.status_code == 201, erased.text
    stored = [r["sequence"] for a in answers[:-1] for r in a.json()["results"] if r["status"] == "created"]
    assert [s for s in stored if s > erased.json()["sequence"]] == []


async def test_a_referral_is_not_stored_after_its_case_closed_when_they_race(intake: Harness, world: World) -> None:
    case_id = await world.case(await world.family("ref-race", surname=None), "ref-race-case")
    referrals = [event("tilts.referral.made", {"referral_id": world.id(f"ref-race-{n}"), "case_id": case_id,
                                               "institution_id": world.institution, "service": "konsultācija"})
                 for n in range(12)]
    close = event("tilts.case.closed", {"case_id": case_id, "resolution": "resolved"})
    answers = await asyncio.gather(*(post(intake, r, world.as_mediator) for r in referrals[:6]),
                                   post(intake, close, world.as_mediator),
                                   *(post(intake, r, world.as_mediator) for r in referrals[6:]))
    closed = answers[6]
    assert closed.status_code == 201, closed.text
    assert _after(answers[:6] + answers[7:], closed.json()["sequence"]) == []


async def test_another_intake_process_stops_deciding_on_an_erased_family_within_seconds(
        intake: Harness, world: World) -> None:
    family_id = await world.family("elsewhere", surname=None)
    async with running(create_intake, intake.settings) as second:
        # The second process caches the family as it was.
        await must_post(second, world.activity(None, "elsewhere-warm", family_id=family_id), world.as_mediator)
        await must_post(intake, _erasure(family_id), world.admin)
        for attempt in range(100):
            answer = await post(second, world.activity(None, f"elsewhere-late-{attempt}", family_id=family_id),
                                world.as_mediator)
            if answer.status_code == 409:
                break
            await asyncio.sleep(0.1)
        assert answer.status_code == 409, answer.text
        assert attempt < 60  # the index projection and the second process's refresh: about a second or two


async def test_while_changes_are_not_followed_references_are_read_up_to_date(
        intake: Harness, world: World) -> None:
    # PostgreSQL away or the refresh late: the second process cannot learn of the erasure from
    # the event index, so it reads the family from the log before deciding on it.
    family_id = await world.family("unfollowed", surname=None)
    async with running(create_intake, intake.settings) as second:
        await must_post(second, world.activity(None, "unfollowed-warm", family_id=family_id), world.as_mediator)
        second.app.state.intake._store.changes_followed = lambda: False
        await must_post(intake, _erasure(family_id), world.admin)
        late = await post(second, world.activity(None, "unfollowed-late", family_id=family_id), world.as_mediator)
        assert late.status_code == 409, late.text
