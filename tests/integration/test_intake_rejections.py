"""Bad input gets a clear problem answer and leaves nothing behind in the log."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.intake import metrics
from tests.support.harness import Harness, event
from tests.support.world import World, must_post, post


async def _head(intake: Harness) -> int:
    return await intake.app.state.runtime.log.last_sequence()


async def _assert_problem(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    return body


@pytest.mark.parametrize("raw, why", [
    (b"{not json", "malformed"),
    (b"\xff\xfe{}", "invalid utf-8"),
    (b'{"id": "a", "id": "b"}', "duplicate keys"),
    (b'{"x": NaN}', "NaN"),
    (b"[" * 200_000 + b"]" * 200_000, "nesting bomb"),
    (b"", "empty"),
])
async def test_a_body_that_is_not_json_is_a_400_and_stores_nothing(intake: Harness, world: World,
                                                                   raw: bytes, why: str) -> None:
    head = await _head(intake)
    answer = await intake.client.post("/v1/events", content=raw, headers={
        **world.as_mediator, "content-type": "application/json"})
    await _assert_problem(answer, 400)
    assert await _head(intake) == head


async def test_events_refused_before_any_decision_are_counted_by_status(intake: Harness, world: World) -> None:
    # A broken client release sending unreadable or invalid events shows in the metrics.
    def refused(status: str) -> float:
        return metrics.EVENTS_REJECTED.labels(status)._value.get()

    before = {status: refused(status) for status in ("400", "401", "415", "422")}
    json_headers = {**world.as_mediator, "content-type": "application/json"}
    await _assert_problem(await intake.client.post("/v1/events", content=b"{not json", headers=json_headers), 400)
    await _assert_problem(await intake.client.post("/v1/events", content=b"{}", headers={
        "content-type": "application/json"}), 401)
    await _assert_problem(await intake.client.post("/v1/events", content=b"{}", headers={
        **world.as_mediator, "content-type": "text/plain"}), 415)
    await _assert_problem(await intake.client.post("/v1/events", content=b"{}", headers=json_headers), 422)
    batch = {"events": [{}, {"id": "x"}]}
    answer = await intake.client.post("/v1/events:batch", content=json.dumps(batch).encode(), headers=json_headers)
    assert answer.status_code == 200 and answer.json()["rejected"] == 2
    assert {status: refused(status) - before[status] for status in before} == {"400": 1, "401": 1, "415": 1, "422": 3}


async def test_a_healthy_intake_shows_its_refusal_and_projection_series_at_zero(intake: Harness) -> None:
    """An alert on 503s, poison events or a read model ahead of its log needs a series to watch
    before the first one happens."""
    exported = (await intake.client.get("/metrics")).text
    assert 'tilts_events_rejected_total{status="503"}' in exported
    assert 'tilts_events_appended_total{type="tilts.family.erased"}' in exported
    for series in ("tilts_projection_poisoned", "tilts_projection_ahead_of_log", "tilts_projection_retries_total"):
        assert f'{series}{{projection="intake-index"}}' in exported, series


async def test_a_body_over_one_mebibyte_is_a_413(intake: Harness, world: World) -> None:
    head = await _head(intake)
    big = world.activity(None, "big", municipality_id=world.municipality, note="x" * (1024 * 1024 + 10))
    answer = await intake.client.post("/v1/events", content=json.dumps(big).encode(), headers={
        **world.as_mediator, "content-type": "application/json"})
    await _assert_problem(answer, 413)
    assert await _head(intake) == head


async def test_a_schema_violation_is_a_422_naming_every_bad_field(intake: Harness, world: World) -> None:
    head = await _head(intake)
    body = event("tilts.activity.recorded", {"activity_id": "has space", "kind": "sightseeing",
                                             "domain": "education", "surprise": True})
    problem = await _assert_problem(await post(intake, body, world.as_mediator), 422)
    fields = {e["field"] for e in problem["errors"]}
    assert {"data.activity_id", "data.kind", "data.surprise"} <= fields
    assert all(e["pointer"].startswith("#/data/") for e in problem["errors"])
    assert await _head(intake) == head


async def test_an_event_more_than_five_minutes_in_the_future_is_a_422(intake: Harness, world: World) -> None:
    future = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    body = world.activity(None, "future", municipality_id=world.municipality)
    problem = await _assert_problem(await post(intake, {**body, "time": future}, world.as_mediator), 422)
    assert problem["errors"][0]["field"] == "time"


async def test_an_unknown_event_type_is_a_422(intake: Harness, world: World) -> None:
    problem = await _assert_problem(await post(intake, event("tilts.party.thrown", {}), world.as_mediator), 422)
    assert problem["errors"][0]["field"] == "type"


async def test_a_missing_or_bad_token_is_a_401(intake: Harness, world: World) -> None:
    body = world.activity(None, "noauth", municipality_id=world.municipality)
    await _assert_problem(await intake.client.post("/v1/events", json=body), 401)
    await _assert_problem(await post(intake, body, {"Authorization": "Bearer not.a.token"}), 401)


def _forged(claims: dict, key, algorithm: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm=algorithm)}"}


async def test_unsigned_expired_foreign_and_confused_tokens_are_refused(intake: Harness, world: World) -> None:
    now = datetime.now(UTC)
    claims = {"iss": "tilts", "aud": "tilts", "sub": world.mediator, "role": "mediator",
              "iat": now, "exp": now + timedelta(hours=1)}
    body = world.activity(None, "forged", municipality_id=world.municipality)
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps({**claims, "iat": int(now.timestamp()),
                                                   "exp": int((now + timedelta(hours=1)).timestamp())}).encode()
                                       ).rstrip(b"=").decode()
    attempts = [
        {"Authorization": f"Bearer {header}.{payload}."},
        _forged(claims, Ed25519PrivateKey.generate(), "EdDSA"),
        _forged({**claims, "exp": now - timedelta(hours=1)}, intake.tokens._private_key, "EdDSA"),
        _forged({**claims, "aud": "someone-else"}, intake.tokens._private_key, "EdDSA"),
        _forged(claims, b"a-shared-secret-that-is-long-enough-for-hs256", "HS256"),
    ]
    head = await _head(intake)
    for headers in attempts:
        await _assert_problem(await post(intake, body, headers), 401)
    assert await _head(intake) == head


async def test_a_role_that_may_not_post_a_type_is_a_403(intake: Harness, world: World) -> None:
    auditor = intake.auth("auditor", "aud-1")
    body = world.activity(None, "by-auditor", municipality_id=world.municipality)
    await _assert_problem(await post(intake, body, auditor), 403)
    institution_registers = event("tilts.municipality.registered", {"municipality_id": world.id("x"), "name": "X"})
    await _assert_problem(await post(intake, institution_registers, world.as_institution), 403)


async def test_a_mediator_writes_only_in_their_municipalities(intake: Harness, world: World) -> None:
    body = event("tilts.family.registered", {
        "family_id": world.id("elsewhere"), "municipality_id": world.other_municipality,
        "consent": {"given_on": "2020-01-02", "scope": "mediācija"}})
    head = await _head(intake)
    await _assert_problem(await post(intake, body, world.as_mediator), 403)
    stranger = intake.auth("mediator", world.id("unregistered"))
    await _assert_problem(await post(intake, world.activity(None, "s", municipality_id=world.municipality),
                                     stranger), 403)
    assert await _head(intake) == head


async def test_a_reference_to_an_unknown_institution_is_a_404_naming_the_field(intake: Harness, world: World) -> None:
    body = event("tilts.cooperation.recorded", {
        "cooperation_id": world.id("coop-x"), "institution_id": world.id("nowhere"), "contact_id": "c",
        "domain": "education", "channel": "phone", "purpose": "kavējumi"})
    problem = await _assert_problem(await post(intake, body, world.as_mediator), 404)
    assert problem["errors"][0]["field"] == "data.institution_id"


async def test_reading_an_unknown_or_out_of_scope_event_is_a_404(intake: Harness, world: World) -> None:
    await _assert_problem(await intake.client.get("/v1/events/no-such-event", headers=world.admin), 404)
    body = event("tilts.family.registered", {
        "family_id": world.id("private"), "municipality_id": world.municipality,
        "consent": {"given_on": "2020-01-02", "scope": "mediācija"}})
    assert (await post(intake, body, world.as_mediator)).status_code == 201
    await _assert_problem(await intake.client.get(f"/v1/events/{body['id']}", headers=world.as_institution), 404)
    other = intake.auth("coordinator", "coord-x", municipalities=(world.other_municipality,))
    await _assert_problem(await intake.client.get(f"/v1/events/{body['id']}", headers=other), 404)
    own = intake.auth("coordinator", "coord-y", municipalities=(world.municipality,))
    assert (await intake.client.get(f"/v1/events/{body['id']}", headers=own)).status_code == 200


async def test_a_monthly_report_and_a_mediators_registration_are_read_within_the_mediators_municipalities(
        intake: Harness, world: World) -> None:
    # Reports and registrations belong to no one municipality; they are as private as the
    # mediator's work: their coordinators and the mediator see them, others get a 404.
    report = event("tilts.report.submitted", {"report_id": world.id("report"), "month": "2020-01", "narrative": {
        "main_issues": "kavējumi", "glad_about": "x", "challenges": "y", "next_priorities": "z"}})
    await must_post(intake, report, world.as_mediator)
    own = intake.auth("coordinator", "coord-own", municipalities=(world.municipality,))
    approved = event("tilts.report.approved", {"report_id": world.id("report"), "note": "paldies"})
    await must_post(intake, approved, own)
    other = intake.auth("coordinator", "coord-other", municipalities=(world.other_municipality,))
    another_mediator = intake.auth("mediator", world.id("med-2"))
    narrowed_elsewhere = intake.auth("mediator", world.mediator, municipalities=(world.other_municipality,))
    for event_id in (report["id"], approved["id"]):
        for allowed in (own, world.as_mediator, world.admin):
            assert (await intake.client.get(f"/v1/events/{event_id}", headers=allowed)).status_code == 200
        for refused in (other, another_mediator, world.as_institution):
            await _assert_problem(await intake.client.get(f"/v1/events/{event_id}", headers=refused), 404)
    registration = (await intake.app.state.runtime.log.history(await intake.app.state.runtime.log.locate(
        intake.app.state.runtime.subjects.any_municipality("mediator", world.mediator))))[0].id
    assert (await intake.client.get(f"/v1/events/{registration}", headers=own)).status_code == 200
    await _assert_problem(await intake.client.get(f"/v1/events/{registration}", headers=other), 404)
    # A token narrowed to a municipality reads only there, as the reporting reads do.
    family = await world.family("narrowed")
    first = (await intake.app.state.runtime.log.history(await intake.app.state.runtime.log.locate(
        intake.app.state.runtime.subjects.any_municipality("family", family))))[0].id
    assert (await intake.client.get(f"/v1/events/{first}", headers=world.as_mediator)).status_code == 200
    await _assert_problem(await intake.client.get(f"/v1/events/{first}", headers=narrowed_elsewhere), 404)


async def test_an_unsupported_media_type_is_a_415(intake: Harness, world: World) -> None:
    answer = await intake.client.post("/v1/events", content=b"<event/>", headers={
        **world.as_mediator, "content-type": "application/xml"})
    await _assert_problem(answer, 415)
    assert "cloudevents-batch" not in answer.json()["detail"]  # not acceptable here: only on :batch
    compressed = await intake.client.post("/v1/events", content=gzip.compress(b"{}"), headers={
        **world.as_mediator, "content-type": "application/json", "content-encoding": "gzip"})
    await _assert_problem(compressed, 415)
    assert "uncompressed" in compressed.json()["detail"]


async def test_unknown_routes_and_methods_answer_problems(intake: Harness, world: World) -> None:
    await _assert_problem(await intake.client.get("/v1/nothing-here"), 404)
    refused = await intake.client.post("/v1/events", json={}, headers=world.as_mediator)
    assert refused.status_code == 422 and refused.headers["cache-control"] == "no-store"  # the raw write path too
    not_allowed = await intake.client.delete("/v1/events")
    await _assert_problem(not_allowed, 405)
    assert not_allowed.headers["allow"] == "POST"


async def test_a_token_over_its_rate_gets_429_with_retry_after(make_settings, unique_id: str) -> None:
    from services.intake.bootstrap import create_app as create_intake
    from tests.support.harness import running

    settings = await make_settings(rate_limit_per_second=1.0, rate_limit_burst=3)
    async with running(create_intake, settings) as limited:
        token = limited.auth("mediator", f"{unique_id}-busy")
        answers = [await limited.client.get("/v1/events/nothing", headers=token) for _ in range(5)]
        assert [a.status_code for a in answers] == [404, 404, 404, 429, 429]
        assert int(answers[-1].headers["Retry-After"]) >= 1
        assert answers[-1].headers["content-type"] == "application/problem+json"
        other = await limited.client.get("/v1/events/nothing", headers=limited.auth("mediator", "calm"))
        assert other.status_code == 404
        assert (await limited.client.get("/healthz")).status_code == 200
