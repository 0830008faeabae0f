"""Posted through the intake, read through the reporting API: families, cases, the ledger, referrals."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from collections.abc import AsyncIterator

import pytest

from services.reporting.bootstrap import create_app as create_reporting
from shared.roles import Role
from tests.support.harness import Harness, event, running
from tests.support.reporting import log_head, post_as, post_many, read, read_json
from tests.support.world import World


@pytest.fixture(scope="module")
async def reporting(intake: Harness) -> AsyncIterator[Harness]:
    """The reporting service on the intake's stream and database."""
    async with running(create_reporting, intake.settings) as harness:
        yield harness


def _auditor(world: World) -> dict[str, str]:
    return world.harness.auth(Role.AUDITOR, "auditor-1")


async def test_a_recorded_cooperation_appears_in_the_ledger_with_names_and_roles(
        world: World, reporting: Harness) -> None:
    family = await world.family("f1")
    cooperation = world.id("co1")
    sequence = await post_as(world, world.as_mediator, "tilts.cooperation.recorded", {
        "cooperation_id": cooperation, "institution_id": world.institution, "contact_id": world.contacts[0],
        "domain": "education", "channel": "meeting", "purpose": "kavējumu iemesli", "family_id": family},
        time="2020-01-14T10:00:00+02:00")
    ledger = await read_json(reporting, "/v1/cooperations", world.admin, after=sequence,
                             institution_id=world.institution)
    [item] = ledger["items"]
    assert ledger["as_of_sequence"] >= sequence and ledger["next"] is None
    assert item["cooperation_id"] == cooperation and item["time"] == "2020-01-14T10:00:00+02:00"
    assert item["mediator"] == {"mediator_id": world.mediator, "name": "Marta Ozoliņa"}
    assert item["institution"]["name"] == "Jelgavas Ozolu pamatskola"
    assert item["contact"] == {"contact_id": world.contacts[0], "name": "Ilze Kalniņa", "role": "sociālā pedagoģe"}
    assert item["family_id"] == family and item["status"] == "recorded" and item["answer"] is None


async def test_an_acknowledgement_shows_in_the_ledger_with_who_and_when(world: World, reporting: Harness) -> None:
    cooperation = await world.cooperation("co1")
    sequence = await post_as(world, world.as_institution, "tilts.cooperation.acknowledged", {
        "cooperation_id": cooperation, "contact_id": world.contacts[1], "note": "Tikāmies, paldies"},
        time="2020-01-15T09:30:00+02:00")
    [item] = (await read_json(reporting, "/v1/cooperations", world.admin, after=sequence,
                              institution_id=world.institution))["items"]
    assert item["status"] == "acknowledged"
    assert item["answer"] == {"status": "acknowledged", "at": "2020-01-15T09:30:00+02:00", "sequence": sequence,
                              "contact": {"contact_id": world.contacts[1], "name": "Ilze Kalniņa",
                                          "role": "sociālā pedagoģe"}, "note": "Tikāmies, paldies"}


async def test_the_ledger_pages_in_time_order_as_of_the_first_page(world: World, reporting: Harness) -> None:
    events = [event("tilts.cooperation.recorded", {
        "cooperation_id": world.id(f"co{n}"), "institution_id": world.institution, "contact_id": world.contacts[0],
        "domain": "education", "channel": "phone", "purpose": "kavējumi"}, time=f"2020-02-{day:02d}T10:00:00+02:00")
        for n, day in enumerate((9, 3, 7, 1, 5))]
    last = await post_many(world.harness, world.as_mediator, events)
    first = await read_json(reporting, "/v1/cooperations", world.admin, after=last,
                            institution_id=world.institution, limit=2)
    await world.cooperation("co-later")
    second = await read_json(reporting, "/v1/cooperations", world.admin, institution_id=world.institution,
                             limit=2, cursor=first["next"])
    third = await read_json(reporting, "/v1/cooperations", world.admin, institution_id=world.institution,
                            limit=2, cursor=second["next"])
    days = [i["date"] for page in (first, second, third) for i in page["items"]]
    assert days == ["2020-02-01", "2020-02-03", "2020-02-05", "2020-02-07", "2020-02-09"]
    assert first["as_of_sequence"] == second["as_of_sequence"] == third["as_of_sequence"]
    assert third["next"] is None


async def test_the_ledger_takes_inclusive_riga_days_and_a_mediator_filter(world: World, reporting: Harness) -> None:
    events = [event("tilts.cooperation.recorded", {
        "cooperation_id": world.id(f"co{n}"), "institution_id": world.institution, "contact_id": world.contacts[0],
        "domain": "education", "channel": "phone", "purpose": "kavējumi"}, time=time)
        for n, time in enumerate(("2020-02-29T23:30:00+02:00", "2020-03-01T00:10:00+02:00",
                                  "2020-03-31T23:59:00+03:00", "2020-03-31T21:30:00Z"))]
    last = await post_many(world.harness, world.as_mediator, events)
    march = await read_json(reporting, "/v1/cooperations", world.admin, after=last, mediator_id=world.mediator,
                            **{"from": "2020-03-01", "to": "2020-03-31"})
    assert [i["cooperation_id"] for i in march["items"]] == [world.id("co1"), world.id("co2")]


async def test_a_family_file_shows_personal_data_to_its_mediator_and_records_the_read(
        world: World, reporting: Harness) -> None:
    family = await world.family("f1", surname="Zvaigznīte")
    sequence = await post_as(world, world.as_mediator, "tilts.person.added", {
        "family_id": family, "person_id": world.id("p1"), "relation": "child", "birth_year": 2013,
        "personal": {"given_name": "Jānis", "surname": "Zvaigznīte"}})
    answer = await read_json(reporting, f"/v1/families/{family}", world.as_mediator, after=sequence)
    assert answer["personal_data"] == "shown"
    assert answer["personal"] == {"surname": "Zvaigznīte", "phone": "+371 20000000"}
    assert answer["persons"] == [{"person_id": world.id("p1"), "relation": "child", "birth_year": 2013,
                                  "personal": {"given_name": "Jānis", "surname": "Zvaigznīte"}}]
    assert answer["consent"] == {"given_on": "2020-01-02", "scope": "mediācija un ziņošana", "withdrawn_at": None}
    log = await read_json(reporting, "/v1/audit/access", _auditor(world), family_id=family)
    [entry] = log["items"]
    assert (entry["actor"], entry["role"], entry["personal_shown"], entry["status"]) == (
        world.mediator, "mediator", True, 200)


async def test_a_family_file_shows_the_work_done_with_the_family_outside_its_cases(
        world: World, reporting: Harness) -> None:
    family = await world.family("f1")
    case = await world.case(family)
    await post_as(world, world.as_mediator, "tilts.cooperation.recorded", {
        "cooperation_id": world.id("talk"), "institution_id": world.institution, "contact_id": world.contacts[0],
        "domain": "education", "channel": "phone", "purpose": "kavējumi", "family_id": family},
        time="2020-01-16T09:00:00+02:00")
    await post_as(world, world.as_mediator, "tilts.activity.recorded", {
        "activity_id": world.id("visit"), "kind": "home_visit", "domain": "education", "family_id": family,
        "duration_minutes": 60}, time="2020-01-14T17:00:00+02:00")
    last = await post_as(world, world.as_mediator, "tilts.activity.recorded", {
        "activity_id": world.id("on-case"), "kind": "consultation", "domain": "education", "case_id": case},
        time="2020-01-15T10:00:00+02:00")
    answer = await read_json(reporting, f"/v1/families/{family}", world.as_mediator, after=last)
    assert [(e["type"], e["time"]) for e in answer["timeline"]] == [
        ("tilts.activity.recorded", "2020-01-14T17:00:00+02:00"),  # in field time, not posting order
        ("tilts.cooperation.recorded", "2020-01-16T09:00:00+02:00")]
    visit, talk = answer["timeline"]
    assert visit["activity_id"] == world.id("visit") and visit["kind"] == "home_visit" and visit["by"] == world.mediator
    assert talk["cooperation_id"] == world.id("talk") and talk["institution"]["institution_id"] == world.institution
    case_file = await read_json(reporting, f"/v1/cases/{case}", world.as_mediator)  # the case's work is there
    assert world.id("on-case") in [e.get("activity_id") for e in case_file["timeline"]]


async def test_an_auditor_sees_personal_data_only_with_a_reason_and_both_reads_are_logged(
        world: World, reporting: Harness) -> None:
    family = await world.family("f1", surname="Zvaigznīte")
    auditor = _auditor(world)
    plain = await read_json(reporting, f"/v1/families/{family}", auditor, after=await log_head(world.harness))
    assert plain["personal_data"] == "withheld" and plain["personal"] is None
    reason = "Ministrijas pārbaude Nr. 12"
    opened = await read_json(reporting, f"/v1/families/{family}", auditor, reason=reason)
    assert opened["personal"]["surname"] == "Zvaigznīte"
    log = await read_json(reporting, "/v1/audit/access", auditor, family_id=family, actor="auditor-1")
    assert [(e["reason"], e["personal_shown"]) for e in log["items"]] == [(None, False), (reason, True)]


async def test_after_erasure_personal_data_reads_as_erased_and_counts_stay(world: World, reporting: Harness) -> None:
    family = await world.family("f1", surname="Zvaigznīte")
    await post_as(world, world.as_mediator, "tilts.activity.recorded", {
        "activity_id": world.id("a1"), "kind": "home_visit", "domain": "education", "family_id": family})
    # The client dates the erasure a month back; the file also says when it was really received.
    sequence = await post_as(world, world.admin, "tilts.family.erased", {"family_id": family, "reason": "lūgums"},
                             time="2020-01-01T10:00:00+02:00")
    answer = await read_json(reporting, f"/v1/families/{family}", world.as_mediator, after=sequence)
    assert answer["erased"] is True and answer["personal_data"] == "erased" and answer["personal"] is None
    assert answer["erased_at"] == "2020-01-01T10:00:00+02:00"
    received = datetime.fromisoformat(answer["erasure_recorded_at"])  # the intake's clock, not the client's
    assert abs(received - datetime.now(UTC)) < timedelta(minutes=5)
    assert answer["work"]["days"] == 1
    admin = await read_json(reporting, f"/v1/families/{family}", world.admin, reason="pārbaude")
    assert admin["personal"] is None and admin["personal_data"] == "erased"


async def test_a_case_reads_with_its_timeline_from_opening_to_closing(world: World, reporting: Harness) -> None:
    family = await world.family("f1", persons=(world.id("p1"),))
    case = await world.case(family)
    await post_many(world.harness, world.as_mediator, [
        world.activity(case, "a1", person_ids=[world.id("p1")]),
        event("tilts.referral.made", {"referral_id": world.id("r1"), "case_id": case,
                                      "institution_id": world.institution, "service": "logopēds"}),
        event("tilts.outcome.recorded", {"outcome_id": world.id("o1"), "case_id": case,
                                         "kind": "attendance_improved"}),
        event("tilts.case.closed", {"case_id": case, "resolution": "resolved"})])
    sequence = await post_as(world, world.as_institution, "tilts.referral.accepted", {"referral_id": world.id("r1")})
    answer = await read_json(reporting, f"/v1/cases/{case}", world.as_mediator, after=sequence)
    assert (answer["status"], answer["resolution"], answer["family_id"]) == ("closed", "resolved", family)
    assert [e["type"] for e in answer["timeline"]] == [
        "tilts.case.opened", "tilts.activity.recorded", "tilts.referral.made", "tilts.outcome.recorded",
        "tilts.case.closed", "tilts.referral.accepted"]
    cases = await read_json(reporting, "/v1/cases", world.as_mediator, family_id=family, status="closed")
    assert [c["case_id"] for c in cases["items"]] == [case]
    assert (await read_json(reporting, "/v1/cases", world.as_mediator, family_id=family, status="open"))["items"] == []


async def test_referrals_list_their_status_and_filter_by_it(world: World, reporting: Harness) -> None:
    family = await world.family("f1")
    case = await world.case(family)
    for name in ("r1", "r2"):
        await post_as(world, world.as_mediator, "tilts.referral.made", {
            "referral_id": world.id(name), "case_id": case, "institution_id": world.institution, "service": "x"})
    await post_as(world, world.as_institution, "tilts.referral.accepted", {"referral_id": world.id("r1")})
    sequence = await post_as(world, world.as_institution, "tilts.referral.completed",
                             {"referral_id": world.id("r1"), "note": "Pakalpojums sniegts"})
    listing = await read_json(reporting, "/v1/referrals", world.admin, after=sequence,
                              institution_id=world.institution)
    assert [(r["referral_id"], r["status"]) for r in listing["items"]] == [
        (world.id("r1"), "completed"), (world.id("r2"), "made")]
    assert listing["items"][0]["completed_note"] == "Pakalpojums sniegts"
    made = await read_json(reporting, "/v1/referrals", world.admin, institution_id=world.institution, status="made")
    assert [r["referral_id"] for r in made["items"]] == [world.id("r2")]
    january = await post_as(world, world.as_mediator, "tilts.referral.made", {
        "referral_id": world.id("r3"), "case_id": case, "institution_id": world.institution, "service": "x"},
        time="2020-01-31T23:30:00+02:00")
    in_january = await read_json(reporting, "/v1/referrals", world.admin, after=january,
                                 mediator_id=world.mediator, **{"from": "2020-01-01", "to": "2020-01-31"})
    assert [r["referral_id"] for r in in_january["items"]] == [world.id("r3")]
    assert len((await read_json(reporting, "/v1/referrals", world.admin, mediator_id=world.mediator))["items"]) == 3
    assert (await read(reporting, "/v1/referrals", world.admin, **{"from": "January"})).status_code == 422


async def test_a_sequence_the_log_has_not_reached_is_a_422_at_once_not_a_wait_and_a_503(
        world: World, reporting: Harness) -> None:
    # (A sequence in the log that the projection cannot reach is a 503 with Retry-After: see the
    # poison-event test in test_reporting_resilience.py.)
    original = reporting.app.state.reading
    reporting.app.state.reading = dataclasses.replace(original, wait_seconds=30)  # would time the test out
    try:
        waited = await read(reporting, "/v1/cases", world.admin, after=10**12)
        pinned = await read(reporting, "/v1/reports/summary", world.admin, as_of_sequence=10**12,
                            **{"from": "2020-01-01", "to": "2020-01-31"})
    finally:
        reporting.app.state.reading = original
    for answer, name in ((waited, "min_sequence"), (pinned, "as_of_sequence")):
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in answer.json()["errors"]] == [f"query.{name}"]
        assert "the log ends at sequence" in answer.json()["errors"][0]["detail"]


@pytest.mark.parametrize(("path", "query", "field"), [
    ("/v1/cases", {"limit": "0"}, "limit"), ("/v1/cases", {"limit": "ten"}, "limit"),
    ("/v1/cases", {"status": "pending"}, "status"), ("/v1/cases", {"min_sequence": "-1"}, "min_sequence"),
    ("/v1/cases", {"cursor": "nonsense"}, "cursor"), ("/v1/cooperations", {"from": "14.01.2020"}, "from"),
    ("/v1/cooperations", {"from": "2020-02-01", "to": "2020-01-01"}, "to"),
    ("/v1/referrals", {"from": "2020-01-14T10:00:00+02:00", "to": "2020-01-14T09:00:00+02:00"}, "to"),
    ("/v1/reports/summary", {"from": "2020-02-01", "to": "2020-01-01"}, "to"),
    ("/v1/reports/summary", {"from": "2020-02-30", "to": "2020-03-01"}, "from"),
    ("/v1/reports/summary", {"to": "2020-03-01"}, "from"),
    ("/v1/reports/monthly", {"mediator_id": "m", "month": "2020-1"}, "month"),
    ("/v1/reports/monthly", {"month": "2020-01"}, "mediator_id"),
    ("/v1/reports/summary", {"from": "2020-01-01", "to": "2020-01-31", "format": "pdf"}, "format"),
    ("/v1/reports/summary", {"from": "2020-01-01", "to": "2020-01-31", "table": "by_institution"}, "table"),
    ("/v1/families/x", {"min_sequence": "soon"}, "min_sequence"),
])
async def test_bad_query_values_are_a_422_problem_naming_the_parameter(
        world: World, reporting: Harness, path: str, query: dict, field: str) -> None:
    # As the OpenAPI documents each parameter, and as the other services answer.
    answer = await reporting.client.get(path, params=query, headers=world.admin)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == f"query.{field}"


async def test_no_answer_may_be_kept_by_a_cache(world: World, reporting: Harness) -> None:
    # Answers are scoped to the caller and a family file may carry personal data.
    for path in ("/v1/cases", "/v1/cooperations", "/v1/families/nobody"):
        answer = await reporting.client.get(path, headers=world.admin)
        assert answer.headers["cache-control"] == "no-store", path
    assert "cache-control" not in (await reporting.client.get("/healthz")).headers


async def test_a_read_without_a_valid_token_is_a_401_problem(reporting: Harness) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}):
        answer = await reporting.client.get("/v1/cases", headers=headers)
        assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"


async def test_the_service_is_ready_and_says_its_projection_is_ok(reporting: Harness) -> None:
    answer = await reporting.client.get("/readyz")
    assert answer.status_code == 200 and answer.json()["checks"]["projection"] == "ok"
