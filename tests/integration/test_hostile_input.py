"""Hostile bodies, look-alike ids and huge batches: each is a clear problem, quickly, and leaves
nothing behind: no event in the log, no subscription."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from shared.config import Settings
from tests.support.beside import readers_beside
from tests.support.harness import Harness, event
from tests.support.reporting import log_head
from tests.support.world import World, post

MAX_BODY = 1024 * 1024
QUICKLY = 2.0  # seconds: a refused batch is refused before any of it is decided


@pytest.fixture(scope="module")
async def readers(intake: Harness, make_settings: Callable[..., Awaitable[Settings]]
                  ) -> AsyncIterator[tuple[Harness, Harness]]:
    async with readers_beside(intake, make_settings) as both:
        yield both


@pytest.fixture
def notifications(readers: tuple[Harness, Harness]) -> Harness:
    return readers[1]


@pytest.fixture
def reporting(readers: tuple[Harness, Harness]) -> Harness:
    return readers[0]


def _problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    return body


async def _subscriptions(notifications: Harness, world: World) -> list[dict]:
    answer = await notifications.client.get("/v1/subscriptions", headers=world.admin,
                                            params={"institution_id": world.institution})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


# --- bodies that are not (acceptable) JSON ------------------------------------------------------

async def _streamed(body: bytes, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), chunk):
        yield body[start:start + chunk]


def _oversized(world: World) -> bytes:
    activity = world.activity(None, "huge", municipality_id=world.municipality, note="x" * MAX_BODY)
    return json.dumps(activity).encode()


BODIES: dict[str, tuple[Callable[[World], bytes], int]] = {
    "over-1-MiB": (_oversized, 413),
    "nested-100k-arrays": (lambda _: b"[" * 100_000 + b"]" * 100_000, 400),
    "nested-100k-objects": (lambda _: b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 400),
    "overlong-utf8-slash": (lambda _: b'{"events": "\xc0\xaf"}', 400),
    "utf8-encoded-surrogate": (lambda _: b'{"id": "\xed\xa0\x80"}', 400),
    "latin1-not-utf8": (lambda _: '{"name": "Jelgavas pilsēta"}'.encode("latin-1", "replace")[:-3] + b'\xe9"}', 400),
    "truncated-utf8": (lambda _: b'{"name": "\xc5', 400),
}
WRITES = [("intake", "/v1/events"), ("intake", "/v1/events:batch"), ("notifications", "/v1/subscriptions")]


@pytest.mark.parametrize("name", sorted(BODIES))
@pytest.mark.parametrize("service, path", WRITES)
async def test_a_hostile_body_is_a_problem_and_stores_nothing(intake: Harness, notifications: Harness, world: World,
                                                              service: str, path: str, name: str) -> None:
    make, status = BODIES[name]
    harness = intake if service == "intake" else notifications
    head, subscribed = await log_head(intake), await _subscriptions(notifications, world)
    answer = await harness.client.post(path, content=make(world), headers={
        **world.admin, "content-type": "application/json"})
    _problem(answer, status)
    assert await log_head(intake) == head
    assert await _subscriptions(notifications, world) == subscribed


@pytest.mark.parametrize("service, path", WRITES)
async def test_an_oversized_body_sent_without_a_length_is_cut_off_with_a_413(
        intake: Harness, notifications: Harness, world: World, service: str, path: str) -> None:
    harness = intake if service == "intake" else notifications
    head = await log_head(intake)
    answer = await harness.client.post(path, content=_streamed(_oversized(world)), headers={
        **world.admin, "content-type": "application/json"})
    assert "content-length" not in answer.request.headers
    _problem(answer, 413)
    assert await log_head(intake) == head
    assert await _subscriptions(notifications, world) == []


# --- look-alike ids -----------------------------------------------------------------------------

LOOK_ALIKES = {
    "cyrillic-o": "sch\u043eol", "cyrillic-a": "\u0430dmin", "e-and-combining-acute": "cafe\u0301",
    "precomposed-e-acute": "caf\u00e9", "fullwidth-s": "\uff53chool", "zero-width-space": "school\u200b",
    "trailing-newline": "school\n", "right-to-left-override": "loohcs\u202e", "nul": "sch\x00ool",
}


def _look_alike_of(real: str) -> str:
    """`real` with its last Latin `o` (or `a`, `e`, `c`, `s`) swapped for the Cyrillic letter that
    looks the same (an id made of a prefix and hex digits need not have an `o` or an `a`)."""
    for latin, cyrillic in (("o", "\u043e"), ("a", "\u0430"), ("e", "\u0435"), ("c", "\u0441"), ("s", "\u0455")):
        if latin in real:
            cut = real.rindex(latin)
            return real[:cut] + cyrillic + real[cut + 1:]
    raise AssertionError(f"{real} has no letter with a Cyrillic twin")


@pytest.mark.parametrize("look_alike", sorted(LOOK_ALIKES))
async def test_an_id_that_is_not_plain_ascii_is_a_422_naming_the_field(intake: Harness, world: World,
                                                                       look_alike: str) -> None:
    head = await log_head(intake)
    bad = LOOK_ALIKES[look_alike]
    registered = event("tilts.institution.registered", {
        "institution_id": bad, "municipality_id": world.municipality, "name": "Skola", "kind": "school"})
    problem = _problem(await post(intake, registered, world.admin), 422)
    assert [e["field"] for e in problem["errors"]] == ["data.institution_id"]
    enveloped = world.activity(None, "envelope", municipality_id=world.municipality)
    problem = _problem(await post(intake, {**enveloped, "id": bad}, world.as_mediator), 422)
    assert [e["field"] for e in problem["errors"]] == ["id"]
    assert bad not in json.dumps(problem, ensure_ascii=False)  # a problem never echoes input
    assert await log_head(intake) == head


async def test_a_reference_to_a_look_alike_of_a_real_institution_is_a_422_not_a_match(
        intake: Harness, world: World) -> None:
    head = await log_head(intake)
    body = event("tilts.cooperation.recorded", {
        "cooperation_id": world.id("coop"), "institution_id": _look_alike_of(world.institution),
        "contact_id": world.contacts[0], "domain": "education", "channel": "meeting", "purpose": "kavējumi"})
    problem = _problem(await post(intake, body, world.as_mediator), 422)
    assert [e["field"] for e in problem["errors"]] == ["data.institution_id"]
    assert await log_head(intake) == head


async def test_a_look_alike_id_in_a_batch_is_rejected_and_the_rest_goes_in(intake: Harness, world: World) -> None:
    fine = world.activity(None, "fine", municipality_id=world.municipality)
    spoofed = world.activity(None, "spoof", municipality_id=world.municipality)
    spoofed["data"]["activity_id"] = _look_alike_of(world.id("sp0of-o"))
    answer = await intake.client.post("/v1/events:batch", json={"events": [spoofed, fine]}, headers=world.as_mediator)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "created"]
    assert results[0]["problem"]["errors"][0]["field"] == "data.activity_id"


SPOOFS: dict[str, Callable[[str], str]] = {
    "cyrillic-twin": _look_alike_of, "nul-inside": lambda real: real[:3] + "\x00" + real[3:],
    "combining-mark": lambda real: real + "\u0301", "overlong": lambda real: (real * 65)[:65],
}


@pytest.mark.parametrize("spoof", sorted(SPOOFS))
async def test_a_spoof_of_a_real_id_in_a_url_path_is_a_422_everywhere(
        intake: Harness, reporting: Harness, notifications: Harness, world: World, spoof: str) -> None:
    family = await world.family("look")
    stored = event("tilts.case.opened", {"case_id": world.id("case-o"), "family_id": family, "domain": "education",
                                         "need": "skola"})
    assert (await post(intake, stored, world.as_mediator)).status_code == 201
    subscribed = await notifications.client.post("/v1/subscriptions", headers=world.admin, json={
        "institution_id": world.institution, "channel": "email", "target": "skola@example.lv"})
    assert subscribed.status_code == 201, subscribed.text
    reads = [(intake, f"/v1/events/{stored['id']}"), (reporting, f"/v1/families/{family}"),
             (reporting, f"/v1/cases/{world.id('case-o')}"),
             (notifications, f"/v1/subscriptions/{subscribed.json()['id']}")]
    for harness, path in reads:
        prefix, _, real = path.rpartition("/")
        spoofed = await harness.client.get(f"{prefix}/{quote(SPOOFS[spoof](real), safe='')}", headers=world.admin,
                                           params={"min_sequence": await log_head(intake)})
        problem = _problem(spoofed, 422)
        assert problem["errors"][0]["field"].startswith("path.")
        genuine = await harness.client.get(path, headers=world.admin, params={"min_sequence": await log_head(intake)})
        assert genuine.status_code == 200, genuine.text


@pytest.mark.parametrize("look_alike", sorted(LOOK_ALIKES))
async def test_a_look_alike_id_in_a_query_is_refused_by_reporting_and_notifications(
        reporting: Harness, notifications: Harness, world: World, look_alike: str) -> None:
    bad = LOOK_ALIKES[look_alike]
    refused = _problem(await reporting.client.get("/v1/cases", params={"family_id": bad}, headers=world.admin), 422)
    assert refused["errors"][0]["field"] == "query.family_id"
    for path in ("/v1/subscriptions", "/v1/deliveries"):
        refused = _problem(await notifications.client.get(path, params={"institution_id": bad},
                                                          headers=world.admin), 422)
        assert refused["errors"][0]["field"] == "query.institution_id"


async def test_a_look_alike_institution_cannot_be_subscribed(notifications: Harness, world: World) -> None:
    answer = await notifications.client.post("/v1/subscriptions", headers=world.admin, json={
        "institution_id": _look_alike_of(world.institution), "channel": "email", "target": "skola@example.lv"})
    assert _problem(answer, 422)["errors"][0]["field"] == "institution_id"
    assert await _subscriptions(notifications, world) == []


# --- batch sizes --------------------------------------------------------------------------------

def _activities(world: World, count: int, prefix: str, note: str | None = None) -> list[dict[str, Any]]:
    extra = {"note": note} if note else {}
    return [world.activity(None, f"{prefix}-{n}", municipality_id=world.municipality, **extra) for n in range(count)]


def _encoded(events: list[dict[str, Any]]) -> bytes:
    return json.dumps({"events": events}, separators=(",", ":")).encode()


def _batch_of_exactly(world: World, size: int, prefix: str) -> bytes:
    """A batch body of exactly `size` bytes: activities with long notes, the last ones padded."""
    events = _activities(world, 1, prefix, note="x")
    per_event = len(_encoded(events)) - len(_encoded([])) + 3_900
    events = _activities(world, (size - len(_encoded([]))) // (per_event + 1), prefix, note="x" * 3_900)
    shortfall = size - len(_encoded(events))
    for item in events:
        room = min(shortfall, 4_000 - len(item["data"]["note"]))
        item["data"]["note"] += "x" * room
        shortfall -= room
    body = _encoded(events)
    assert len(body) == size and len(events) <= 500, (len(body), len(events))
    return body


async def _post_batch(intake: Harness, world: World, body: bytes) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = await intake.client.post("/v1/events:batch", content=body, headers={
        **world.as_mediator, "content-type": "application/json"})
    return answer, time.monotonic() - started


async def test_ten_thousand_events_over_a_mebibyte_are_refused_whole_with_a_413(intake: Harness,
                                                                               world: World) -> None:
    head, body = await log_head(intake), _encoded(_activities(world, 10_000, "flood"))
    assert len(body) > MAX_BODY
    answer, took = await _post_batch(intake, world, body)
    _problem(answer, 413)
    assert took < QUICKLY and await log_head(intake) == head


async def test_ten_thousand_events_under_a_mebibyte_are_refused_whole_with_a_422(intake: Harness,
                                                                                world: World) -> None:
    # As small as an event can be written: 10,000 of them still fit in the body limit, so it is
    # the count that refuses them, before any is parsed or decided.
    tiny = [{"id": f"e{n}"} for n in range(10_000)]
    head, body = await log_head(intake), _encoded(tiny)
    assert len(body) < MAX_BODY
    answer, took = await _post_batch(intake, world, body)
    problem = _problem(answer, 422)
    assert problem["errors"][0]["field"] == "events" and "500" in problem["errors"][0]["detail"]
    assert took < QUICKLY and await log_head(intake) == head


async def test_a_batch_of_500_events_goes_in_whole(intake: Harness, world: World) -> None:
    head = await log_head(intake)
    answer, _ = await _post_batch(intake, world, _encoded(_activities(world, 500, "full")))
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 500
    assert await log_head(intake) == head + 500


async def test_a_batch_of_exactly_one_mebibyte_goes_in_and_one_byte_more_is_a_413(intake: Harness,
                                                                                 world: World) -> None:
    head = await log_head(intake)
    over, _ = await _post_batch(intake, world, _batch_of_exactly(world, MAX_BODY + 1, "over"))
    _problem(over, 413)
    assert await log_head(intake) == head
    body = _batch_of_exactly(world, MAX_BODY, "limit")
    answer, _ = await _post_batch(intake, world, body)
    assert answer.status_code == 200, answer.text
    created = answer.json()["created"]
    assert created == len(json.loads(body)["events"]) and await log_head(intake) == head + created


# --- extreme values in queries ------------------------------------------------------------------

EXTREME_READS = [
    ("reporting", "/v1/cooperations", {"from": "0001-01-01T00:00:00+14:00"}, 422, "query.from"),
    ("reporting", "/v1/cooperations", {"to": "9999-12-31"}, 422, "query.to"),
    ("reporting", "/v1/audit/access", {"to": "9999-12-31T23:59:59.999999-23:59"}, 422, "query.to"),
    ("reporting", "/v1/reports/summary", {"from": "0001-01-01", "to": "9999-12-31"}, 422, "query.from"),
    ("reporting", "/v1/audit/events", {"from_time": "9999-12-31"}, 422, "query.from_time"),
    ("reporting", "/v1/audit/events", {"from_sequence": "9" * 30}, 422, "query.from_sequence"),
    ("reporting", "/v1/audit/events", {"from_time": "2020-02-01", "to_time": "2020-01-31"}, 422, "query.to_time"),
    ("reporting", "/v1/audit/events", {"from_sequence": "10", "to_sequence": "9"}, 422, "query.to_sequence"),
    ("notifications", "/v1/deliveries", {"cursor": "9" * 30}, 422, "query.cursor"),
    ("notifications", "/v1/deliveries", {"cursor": "\u0661\u0662"}, 422, "query.cursor"),  # Arabic-Indic digits
    ("notifications", "/v1/deliveries", {"limit": "9" * 30}, 422, "query.limit"),
    ("notifications", "/v1/deliveries", {"status": "lost"}, 422, "query.status"),
    ("notifications", "/v1/institutions/reach", {"limit": "1001"}, 422, "query.limit"),
]


@pytest.mark.parametrize("service, path, query, status, field", EXTREME_READS)
async def test_an_extreme_date_or_number_in_a_query_is_a_problem_naming_it(
        reporting: Harness, notifications: Harness, world: World, service: str, path: str,
        query: dict[str, str], status: int, field: str) -> None:
    harness = reporting if service == "reporting" else notifications
    problem = _problem(await harness.client.get(path, params=query, headers=world.admin), status)
    assert problem["errors"][0]["field"] == field


async def test_a_method_not_allowed_names_every_method_the_path_takes(notifications: Harness) -> None:
    # Starlette named only the first route's methods (GET), leaving out DELETE (OpenAPI audit).
    answer = await notifications.client.request("PUT", "/v1/subscriptions/sub-1")
    assert answer.status_code == 405 and answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["allow"] == "DELETE, GET"
