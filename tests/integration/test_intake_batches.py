"""Batches: in order, a result per event, safe to retry."""

from __future__ import annotations

import json

from tests.support.harness import Harness, event
from tests.support.world import World


async def _batch(intake: Harness, events: list[dict], headers: dict[str, str]):
    return await intake.client.post("/v1/events:batch", json={"events": events}, headers=headers)


async def test_a_days_work_syncs_in_one_batch_in_order(intake: Harness, world: World) -> None:
    family_id = world.id("batch-fam")
    case_id = world.id("batch-case")
    events = [
        event("tilts.family.registered", {"family_id": family_id, "municipality_id": world.municipality,
                                          "consent": {"given_on": "2020-01-02", "scope": "mediācija"},
                                          "personal": {"surname": "Ābele"}}),
        event("tilts.person.added", {"family_id": family_id, "person_id": "kid", "relation": "child",
                                     "birth_year": 2013}),
        event("tilts.case.opened", {"case_id": case_id, "family_id": family_id, "domain": "education",
                                    "need": "skolas kavējumi"}),
        world.activity(case_id, "b-visit", person_ids=["kid"]),
        world.activity(case_id, "b-call", kind="consultation"),
        event("tilts.cooperation.recorded", {"cooperation_id": world.id("b-coop"), "institution_id": world.institution,
                                             "contact_id": world.contacts[0], "domain": "education",
                                             "channel": "meeting", "purpose": "kavējumi", "case_id": case_id}),
    ]
    answer = await _batch(intake, events, world.as_mediator)
    assert answer.status_code == 200
    body = answer.json()
    assert [r["status"] for r in body["results"]] == ["created"] * 6
    sequences = [r["sequence"] for r in body["results"]]
    assert sequences == sorted(sequences) and len(set(sequences)) == 6
    assert [r["version"] for r in body["results"]][2:5] == [1, 2, 3]
    assert body["created"] == 6 and body["rejected"] == 0

    again = (await _batch(intake, events, world.as_mediator)).json()
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 6
    assert [r["sequence"] for r in again["results"]] == sequences


async def test_one_bad_event_never_blocks_the_rest(intake: Harness, world: World) -> None:
    head = await intake.app.state.runtime.log.last_sequence()
    events = [
        world.activity(None, "ok-1", municipality_id=world.municipality),
        {"specversion": "1.0", "id": "broken"},
        world.activity(None, "bad-kind", municipality_id=world.municipality, kind="picnic"),
        event("tilts.cooperation.recorded", {"cooperation_id": world.id("nope"), "institution_id": world.id("ghost"),
                                             "contact_id": "x", "domain": "health", "channel": "phone",
                                             "purpose": "ārsts"}),
        world.activity(None, "ok-2", municipality_id=world.municipality),
        "not even an object",
    ]
    body = (await _batch(intake, events, world.as_mediator)).json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "rejected", "rejected", "created", "rejected"]
    problems = [r["problem"]["status"] for r in body["results"] if r["status"] == "rejected"]
    assert problems == [422, 422, 404, 422]
    assert body["results"][1]["id"] == "broken"
    assert await intake.app.state.runtime.log.last_sequence() == head + 2


async def test_the_same_id_twice_in_one_batch_is_appended_once(intake: Harness, world: World) -> None:
    first = world.activity(None, "twice", municipality_id=world.municipality)
    changed = {**first, "data": {**first["data"], "duration_minutes": 5}}
    body = (await _batch(intake, [first, first, changed], world.as_mediator)).json()
    assert [r["status"] for r in body["results"]] == ["created", "duplicate", "rejected"]
    assert body["results"][1]["sequence"] == body["results"][0]["sequence"]
    assert body["results"][2]["problem"]["status"] == 409


async def test_the_same_event_twice_in_one_batch_with_its_time_written_another_way_is_a_duplicate(
        intake: Harness, world: World) -> None:
    # As a re-send in another request is: 10:00+02:00 and 08:00Z are the same instant.
    first = {**world.activity(None, "restated", municipality_id=world.municipality), "time": "2020-01-14T10:00:00+02:00"}
    restated = {**first, "time": "2020-01-14T08:00:00Z"}
    body = (await _batch(intake, [first, restated], world.as_mediator)).json()
    assert [r["status"] for r in body["results"]] == ["created", "duplicate"]


async def test_a_batch_over_500_events_is_refused_whole(intake: Harness, world: World) -> None:
    events = [world.activity(None, f"many-{n}", municipality_id=world.municipality) for n in range(501)]
    answer = await _batch(intake, events, world.as_mediator)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "events"


async def test_a_batch_needs_an_events_list(intake: Harness, world: World) -> None:
    for body, named in (([], "events"), ({"events": "no"}, "events"), ({"events": [], "extra": 1}, "extra")):
        answer = await intake.client.post("/v1/events:batch", json=body, headers=world.as_mediator)
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == [named]


async def test_a_cloudevents_json_batch_is_an_array_of_events(intake: Harness, world: World) -> None:
    batch_media = {**world.as_mediator, "content-type": "application/cloudevents-batch+json"}
    events = [world.activity(None, f"ce-batch-{n}", municipality_id=world.municipality) for n in range(2)]
    answer = await intake.client.post("/v1/events:batch", content=json.dumps(events), headers=batch_media)
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["created", "created"]
    wrapped = await intake.client.post("/v1/events:batch", content=json.dumps({"events": events}), headers=batch_media)
    assert wrapped.status_code == 422 and [e["field"] for e in wrapped.json()["errors"]] == ["body"]
    single = await intake.client.post("/v1/events", content=json.dumps(events[0]), headers=batch_media)
    assert single.status_code == 415 and "/v1/events:batch" in single.json()["detail"]
