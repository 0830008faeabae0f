"""Who reads what: each role sees its own part of the records, and nothing of the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from services.reporting.bootstrap import create_app as create_reporting
from shared.roles import Role
from tests.support.harness import Harness, running
from tests.support.reporting import log_head, post_as, read, read_json
from tests.support.world import World, must_post
from tests.support.harness import event


@pytest.fixture(scope="module")
async def reporting(intake: Harness) -> AsyncIterator[Harness]:
    """The reporting service on the intake's stream and database."""
    async with running(create_reporting, intake.settings) as harness:
        yield harness


@dataclass
class Elsewhere:
    """A second mediator, institution and family in the world's other municipality, with work of each."""

    mediator: str
    institution: str
    family: str
    case: str
    home_family: str
    home_case: str
    head: int


@pytest.fixture
async def elsewhere(world: World) -> Elsewhere:
    harness, admin = world.harness, world.admin
    mediator, institution = world.id("med2"), world.id("library")
    await must_post(harness, event("tilts.mediator.registered", {
        "mediator_id": mediator, "display_name": "Laima Kalēja",
        "municipality_ids": [world.other_municipality]}), admin)
    await must_post(harness, event("tilts.institution.registered", {
        "institution_id": institution, "municipality_id": world.other_municipality, "name": "Balvu bibliotēka",
        "kind": "library"}), admin)
    await must_post(harness, event("tilts.institution.contact_added", {
        "institution_id": institution, "contact_id": world.id("librarian"), "name": "Anna Liepa",
        "role": "bibliotekāre"}), admin)
    as_other = harness.auth(Role.MEDIATOR, mediator)
    family = world.id("f2")
    await must_post(harness, event("tilts.family.registered", {
        "family_id": family, "municipality_id": world.other_municipality,
        "consent": {"given_on": "2020-01-02", "scope": "mediācija"}, "personal": {"surname": "Kļava"}}), as_other)
    case = world.id("case2")
    await must_post(harness, event("tilts.case.opened", {"case_id": case, "family_id": family, "domain": "social",
                                                         "need": "pabalsts"}), as_other)
    await must_post(harness, event("tilts.cooperation.recorded", {
        "cooperation_id": world.id("co2"), "institution_id": institution, "contact_id": world.id("librarian"),
        "domain": "community", "channel": "meeting", "purpose": "lasītprasme", "case_id": case}), as_other)
    await must_post(harness, event("tilts.referral.made", {
        "referral_id": world.id("r2"), "case_id": case, "institution_id": institution, "service": "kursi"}), as_other)
    home_family = await world.family("f1")
    home_case = await world.case(home_family)
    await world.cooperation("co1", case_id=home_case)
    await post_as(world, world.as_mediator, "tilts.referral.made", {
        "referral_id": world.id("r1"), "case_id": home_case, "institution_id": world.institution, "service": "x"})
    return Elsewhere(mediator, institution, family, case, home_family, home_case, await log_head(harness))


def _coordinator(world: World) -> dict[str, str]:
    return world.harness.auth(Role.COORDINATOR, "coord-1", municipalities=(world.municipality,))


def _ids(listing: dict, key: str) -> list[str]:
    return [item[key] for item in listing["items"]]


# --- mediators ---------------------------------------------------------------------------------


async def test_a_mediator_gets_404_for_a_family_or_case_of_another_municipality(
        world: World, elsewhere: Elsewhere, reporting: Harness) -> None:
    for path in (f"/v1/families/{elsewhere.family}", f"/v1/cases/{elsewhere.case}"):
        answer = await read(reporting, path, world.as_mediator, after=elsewhere.head)
        assert answer.status_code == 404, answer.text
    assert (await read(reporting, f"/v1/families/{elsewhere.home_family}", world.as_mediator)).status_code == 200


async def test_a_mediator_gets_403_naming_another_municipality_or_anothers_monthly_report(
        world: World, elsewhere: Elsewhere, reporting: Harness) -> None:
    queries = [("/v1/cases", {"municipality_id": world.other_municipality}),
               ("/v1/reports/summary", {"from": "2020-01-01", "to": "2020-12-31",
                                        "municipality_id": world.other_municipality}),
               ("/v1/reports/monthly", {"mediator_id": elsewhere.mediator, "month": "2020-01"}),
               ("/v1/audit/access", {}), ("/v1/audit/events", {})]
    for path, query in queries:
        answer = await read(reporting, path, world.as_mediator, after=elsewhere.head, **query)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"


async def test_a_mediators_lists_hold_only_their_municipalities_records(
        world: World, elsewhere: Elsewhere, reporting: Harness) -> None:
    ledger = await read_json(reporting, "/v1/cooperations", world.as_mediator, after=elsewhere.head, limit=1000)
    assert world.id("co1") in _ids(ledger, "cooperation_id") and world.id("co2") not in _ids(ledger, "cooperation_id")
    cases = await read_json(reporting, "/v1/cases", world.as_mediator, limit=1000)
    assert elsewhere.home_case in _ids(cases, "case_id") and elsewhere.case not in _ids(cases, "case_id")
    summary = await read_json(reporting, "/v1/reports/summary", world.as_mediator,
                              **{"from": "2020-01-01", "to": "2030-12-31"})
    assert [m["municipality_id"] for m in summary["municipalities"]] == [world.municipality]
    assert summary["figures_limited_to"] == [world.municipality]  # the total is theirs only, and says so
    page = await read(reporting, "/v1/reports/summary", world.as_mediator, format="html", lang="en",
                      **{"from": "2020-01-01", "to": "2030-12-31"})
    assert "all municipalities" not in page.text


async def test_a_mediator_reads_their_own_monthly_report(
        world: World, elsewhere: Elsewhere, reporting: Harness) -> None:
    report = await read_json(reporting, "/v1/reports/monthly", world.as_mediator, after=elsewhere.head,
                             mediator_id=world.mediator, month="2020-01")
    assert report["mediator_id"] == world.mediator and report["status"] == "draft"


# --- institutions ------------------------------------------------------------------------------


async def test_an_institution_sees_only_its_own_cooperations_without_family_or_case(
        world: World, elsewhere: Elsewhere, reporting: Harness) -> None:
    ledger = await read_json(reporting, "/v1/cooperations", world.as_institution, after=elsewhere.head, limit=1000)
    assert _ids(ledger, "cooperation_id") == [world.id("co1")]
    [item] = ledger["items"]
    assert "family_id" not in item and "case_id" not in item
    assert elsewhere.home_family not in json.dumps(ledger) and elsewhere.home_case not in json.dumps(ledger)


async def test_an_institution_sees_only_its_own_referrals_without_family_or_case(
        world: World, elsewhere: Elsewhere, reporting: Harness) -> None:
    referrals = await read_json(reporting, "/v1/referrals", world.as_institution, after=elsewhere.head)
    assert _ids(referrals, "referral_id") == [world.id("r1")]
    assert elsewhere.home_case not in json.dumps(referrals) and elsewhere.home_family not in json.dumps(referrals)


async def test_an_institution_is_refused_families_cases_reports_others_ledgers_and_audits(
        world: World, elsewhere: Elsewhere, reporting: Harness) -> None:
    queries = [(f"/v1/families/{elsewhere.home_family}", {}), (f"/v1/cases/{elsewhere.home_case}", {}),
               ("/v1/cases", {}), ("/v1/cooperations", {"institution_id": elsewhere.institution}),
               ("/v1/referrals", {"institution_id": elsewhere.institution}),
               ("/v1/reports/summary", {"from": "2020-01-01", "to": "2020-01-31"}),
               ("/v1/reports/monthly", {"mediator_id": world.mediator, "month": "2020-01"}),
               ("/v1/audit/access", {}), ("/v1/audit/events", {})]
    for path, query in queries:
        answer = await read(reporting, path, world.as_institution, after=elsewhere.head, **query)
        assert answer.status_code == 403, (path, answer.text)


# --- coordinators, auditors, admins ------------------------------------------------------------


async def test_a_coordinator_reads_their_municipalities_and_their_mediators_reports(
        world: World, elsewhere: Elsewhere, reporting: Harness) -> None:
    coordinator = _coordinator(world)
    assert (await read(reporting, f"/v1/families/{elsewhere.family}", coordinator,
                       after=elsewhere.head)).status_code == 404
    assert (await read(reporting, "/v1/reports/monthly", coordinator, mediator_id=elsewhere.mediator,
                       month="2020-01")).status_code == 403
    assert (await read(reporting, "/v1/reports/monthly", coordinator, mediator_id=world.mediator,
                       month="2020-01")).status_code == 200
    family = await read_json(reporting, f"/v1/families/{elsewhere.home_family}", coordinator)
    assert family["personal_data"] == "withheld"
    family = await read_json(reporting, f"/v1/families/{elsewhere.home_family}", coordinator,
                             reason="ziņojums bāriņtiesai")
    assert family["personal"]["surname"] == "Zvaigznīte"


async def test_a_coordinator_reads_a_two_municipality_mediators_report_only_for_their_municipality(
        world: World, reporting: Harness) -> None:
    both = world.id("med-both")
    await must_post(world.harness, event("tilts.mediator.registered", {
        "mediator_id": both, "display_name": "Žanna Kalēja",
        "municipality_ids": [world.municipality, world.other_municipality]}), world.admin)
    as_both = world.harness.auth(Role.MEDIATOR, both)
    for place, count in ((world.municipality, 1), (world.other_municipality, 2)):
        for n in range(count):
            head = await post_as(world, as_both, "tilts.activity.recorded", {
                "activity_id": world.id(f"act-{place}-{n}"), "kind": "community_event", "domain": "community",
                "municipality_id": place}, time="2020-01-15T10:00:00+02:00")
    query = {"mediator_id": both, "month": "2020-01"}
    everything = await read_json(reporting, "/v1/reports/monthly", world.admin, after=head, **query)
    assert [m["municipality_id"] for m in everything["municipalities"]] == sorted(
        [world.municipality, world.other_municipality])
    assert everything["activities"]["total"] == 3 and "figures_limited_to" not in everything
    mine = await read_json(reporting, "/v1/reports/monthly", _coordinator(world), after=head, **query)
    assert [m["municipality_id"] for m in mine["municipalities"]] == [world.municipality]
    assert mine["activities"]["total"] == 1 and mine["figures_limited_to"] == [world.municipality]
    page = await read(reporting, "/v1/reports/monthly", _coordinator(world), after=head, format="html", **query)
    assert page.status_code == 200 and world.other_municipality not in page.text
    assert "Skaitļi tikai par darbu jūsu pašvaldībās: Jelgava" in page.text  # its name, not its id
    # The mediator reads all of her report, or only the part her token is narrowed to.
    own = await read_json(reporting, "/v1/reports/monthly", as_both, after=head, **query)
    assert own["activities"]["total"] == 3 and "figures_limited_to" not in own
    narrowed = world.harness.auth(Role.MEDIATOR, both, municipalities=(world.other_municipality,))
    part = await read_json(reporting, "/v1/reports/monthly", narrowed, after=head, **query)
    assert part["activities"]["total"] == 2 and part["figures_limited_to"] == [world.other_municipality]


async def test_a_mediator_registered_elsewhere_leaves_earlier_months_with_the_coordinator_where_they_were(
        world: World, reporting: Harness) -> None:
    moving = world.id("med-moving")
    registration = {"mediator_id": moving, "display_name": "Rasma Gaile", "municipality_ids": [world.municipality]}
    await must_post(world.harness, event("tilts.mediator.registered", registration), world.admin)
    as_moving = world.harness.auth(Role.MEDIATOR, moving)
    for day in (6, 7):
        await post_as(world, as_moving, "tilts.activity.recorded", {
            "activity_id": world.id(f"act-moving-{day}"), "kind": "home_visit", "domain": "education",
            "municipality_id": world.municipality}, time=f"2020-01-{day:02d}T10:00:00+02:00")
    await post_as(world, as_moving, "tilts.report.submitted", {
        "report_id": world.id("rep-moving"), "month": "2020-01",
        "narrative": {"main_issues": "Darbs Jelgavā", "glad_about": "-", "challenges": "-", "next_priorities": "-"}},
        time="2020-01-31T16:00:00+02:00")
    moved = await post_as(world, world.admin, "tilts.mediator.registered",
                          {**registration, "municipality_ids": [world.other_municipality]})
    query = {"mediator_id": moving, "month": "2020-01"}
    here = _coordinator(world)
    there = world.harness.auth(Role.COORDINATOR, "coord-2", municipalities=(world.other_municipality,))

    report = await read_json(reporting, "/v1/reports/monthly", here, after=moved, **query)
    assert report["narrative"]["main_issues"] == "Darbs Jelgavā" and report["activities"]["total"] == 2
    assert [m["municipality_id"] for m in report["municipalities"]] == [world.municipality]
    assert report["amended_after_submission"] is False  # the move changed no figure of the month
    assert "figures_limited_to" not in report
    ledger = await read_json(reporting, "/v1/cooperations", here, after=moved, mediator_id=moving)
    assert ledger["items"] == []  # readable (no cooperations that month), not refused
    refused = await read(reporting, "/v1/reports/monthly", there, after=moved, **query)
    assert refused.status_code == 403 and "Darbs" not in refused.text
    # The review follows the report too: the coordinator where it was written returns it.
    returning = event("tilts.report.returned", {"report_id": world.id("rep-moving"), "note": "Papildiniet"})
    assert (await world.harness.client.post("/v1/events", json=returning, headers=there)).status_code == 403
    await must_post(world.harness, returning, here)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
async def test_auditors_and_admins_read_everything_and_replay_the_log(
        world: World, elsewhere: Elsewhere, reporting: Harness, role: Role) -> None:
    headers = world.harness.auth(role, f"{role}-1")
    for path in (f"/v1/families/{elsewhere.family}", f"/v1/cases/{elsewhere.case}",
                 f"/v1/families/{elsewhere.home_family}"):
        assert (await read(reporting, path, headers, after=elsewhere.head)).status_code == 200
    ledger = await read_json(reporting, "/v1/cooperations", headers, limit=1000)
    assert {world.id("co1"), world.id("co2")} <= set(_ids(ledger, "cooperation_id"))
    replay = await read(reporting, "/v1/audit/events", headers, from_sequence=elsewhere.head - 3,
                        type="tilts.referral.made")
    assert replay.status_code == 200 and replay.headers["content-type"] == "application/x-ndjson"
    assert int(replay.headers["tilts-as-of-sequence"]) >= elsewhere.head
    lines = [json.loads(line) for line in replay.text.splitlines()]
    assert [e["data"]["referral_id"] for e in lines] == [world.id("r1")]
    typo = await read(reporting, "/v1/audit/events", headers, type="tilts.referal.made")
    assert typo.status_code == 422 and "tilts.referal.made" in typo.json()["detail"]
    assert lines[0]["sequence"] == elsewhere.head
    # Recorded today with a 2020 `time` (a phone back online): the daily erasure register's filter.
    late = await post_as(world, world.as_mediator, "tilts.activity.recorded", {
        "activity_id": world.id(f"late-{role}"), "kind": "home_visit", "domain": "education",
        "family_id": elsewhere.home_family}, time="2020-01-15T10:00:00+02:00")
    today = datetime.now(UTC).date().isoformat()
    by_time, by_recording = [(await read(reporting, "/v1/audit/events", headers, from_sequence=late, from_time=today,
                                         **extra)).text.splitlines() for extra in ({}, {"recorded_time": "true"})]
    assert by_time == [] and [json.loads(line)["sequence"] for line in by_recording] == [late]


async def test_every_family_file_read_is_logged_even_when_refused(
        world: World, elsewhere: Elsewhere, reporting: Harness) -> None:
    await read(reporting, f"/v1/families/{elsewhere.family}", world.as_mediator, after=elsewhere.head)
    await read(reporting, f"/v1/families/{elsewhere.family}", world.as_institution)
    log = await read_json(reporting, "/v1/audit/access", world.harness.auth(Role.AUDITOR, "aud"),
                          family_id=elsewhere.family)
    assert [(e["role"], e["status"], e["personal_shown"]) for e in log["items"]] == [
        ("mediator", 404, False), ("institution", 403, False)]
