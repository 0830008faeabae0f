"""Reports through HTTP: figures of a realistic season, submitted months kept, late events shown as live."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from services.reporting.application.figures import Place, by_municipality
from services.reporting.application.periods import Period
from services.reporting.queries.figures import FigureFilter, figure_rows
from services.reporting.queries.live_figures import live_figure_rows
from services.reporting.bootstrap import create_app as create_reporting
from services.intake.bootstrap import create_app as create_intake
from shared.audit import replay
from shared.config import Settings
from shared.roles import Role
from tests.support.harness import Harness, event, running
from tests.support.reporting import log_head, post_as, read, read_json
from tests.support.reporting_memory import MemoryReadModels
from tests.support.world import World, must_post
from tilts.demo import build_season, load_season


SEASON = {"from": "2019-09-01", "to": "2020-04-30"}
NARRATIVE = {"main_issues": "Skolas kavējumi", "glad_about": "Bērni mācās", "challenges": "Valoda",
             "next_priorities": "Pumpurs"}


@pytest.fixture(scope="module")
async def reporting(intake: Harness) -> AsyncIterator[Harness]:
    """The reporting service on the session intake's stream and database."""
    async with running(create_reporting, intake.settings) as harness:
        yield harness


@dataclass
class Demo:
    intake: Harness
    reporting: Harness
    last: int

    @property
    def auditor(self) -> dict[str, str]:
        return self.intake.auth(Role.AUDITOR, "auditor-demo")


@pytest.fixture(scope="module")
async def demo(make_settings: Any) -> AsyncIterator[Demo]:
    """The demo season loaded through the intake's batch API, on a stream and database of its own."""
    settings: Settings = await make_settings()
    async with running(create_intake, settings) as intake, \
            running(create_reporting, settings) as reporting:
        def mint(actor: Any) -> str:
            return intake.tokens.mint(actor.role, actor.subject, municipalities=list(actor.municipalities),
                                      institution=actor.institution)

        summary = await load_season(build_season(), "http://service", mint, client=intake.client)
        assert summary.rejected == 0
        yield Demo(intake, reporting, await log_head(intake))


def _by_place(report: dict) -> dict[str, dict]:
    return {m["municipality_id"]: m for m in report["municipalities"]}


async def test_the_demo_seasons_figures_have_the_shape_the_seeds_give(demo: Demo) -> None:
    report = await read_json(demo.reporting, "/v1/reports/summary", demo.auditor, after=demo.last, **SEASON)
    places = _by_place(report)
    assert 24 <= places["jelgava"]["families_supported"] <= 36
    ventspils = places["ventspils"]
    assert 14 <= ventspils["families_regular"] <= 20 and 4 <= ventspils["families_episodic"] <= 8
    assert 18 <= places["vilaka"]["families_supported"] + places["balvi"]["families_supported"] <= 26
    assert 33 <= places["riga"]["persons_helped"] <= 49
    assert 10 <= places["valmiera"]["families_supported"] <= 16
    assert places["dobele"]["families_supported"] == 0
    assert places["jelgava"]["activities"]["participants"] > places["jelgava"]["families_supported"]  # events' reach
    total = report["total"]
    assert total["mediators_active"] == 5
    assert total["families_supported"] == sum(p["families_supported"] for p in places.values())
    assert total["families_regular"] + total["families_episodic"] == total["families_supported"]
    assert 0 < total["cooperations"]["acknowledged"] < total["cooperations"]["total"]
    referrals = total["referrals"]
    assert referrals["total"] == sum(i["count"] for i in referrals["by_institution"]) > 0
    assert referrals["total"] >= referrals["accepted"] >= referrals["completed"] > 0


async def test_the_summary_equals_the_pure_model_fed_the_same_stored_events(demo: Demo) -> None:
    report = await read_json(demo.reporting, "/v1/reports/summary", demo.auditor, after=demo.last, **SEASON)
    models = MemoryReadModels()
    runtime = demo.intake.app.state.runtime
    batch: list = []
    async for stored in replay(runtime.log, stream=runtime.settings.stream_name, to_sequence=demo.last):
        batch.append(stored)
        if len(batch) == 256:
            models.apply(batch)
            batch = []
    models.apply(batch)
    rows = models.figure_rows(date.fromisoformat(SEASON["from"]), date.fromisoformat(SEASON["to"]),
                              report["as_of_sequence"])
    names = {r["institution_id"]: r["name"] for r in models.rows("institutions")}
    places = [Place(r["municipality_id"], r["name"])
              for r in sorted(models.rows("municipalities"), key=lambda r: r["municipality_id"])]
    expected = by_municipality(rows, places, names)
    assert report["municipalities"] == expected["municipalities"] and report["total"] == expected["total"]


async def test_a_monthly_report_of_the_demo_is_approved_and_matches_what_the_mediator_wrote(demo: Demo) -> None:
    report = await read_json(demo.reporting, "/v1/reports/monthly", demo.auditor, after=demo.last,
                             mediator_id="med-jelgava", month="2020-01")
    assert report["status"] == "approved" and report["figures_as_of_sequence"] == report["submitted_sequence"]
    written = report["narrative"]["main_issues"]
    assert f"strādāju ar {report['families_supported']} ģimen" in written
    assert f"veicu {report['activities']['total']} aktivit" in written
    assert f"{report['cooperations']['total']} reizes sadarbojos" in written
    # Institutions acknowledged cooperations after the report went in: the month was amended since.
    assert report["amended_after_submission"] is True
    assert report["live"]["cooperations"]["acknowledged"] > report["cooperations"]["acknowledged"]


async def test_a_monthly_report_lists_the_months_referrals_as_the_referral_list_has_them(demo: Demo) -> None:
    listed = []
    for month in ("2019-10", "2019-11", "2019-12", "2020-01", "2020-02", "2020-03"):
        report = await read_json(demo.reporting, "/v1/reports/monthly", demo.auditor, after=demo.last,
                                 mediator_id="med-jelgava", month=month)
        period = Period.of_month(month)
        ledger = await read_json(demo.reporting, "/v1/referrals", demo.auditor, mediator_id="med-jelgava",
                                 limit=1000, **{"from": period.starts().isoformat(), "to": period.ends().isoformat()})
        expected = [{k: v for k, v in item.items() if k not in ("family_id", "case_id")} for item in ledger["items"]]
        assert report["referrals_list"] == expected
        assert len(expected) == report["referrals"]["total"]
        listed += report["referrals_list"]
    assert listed and {r["status"] for r in listed} - {"made"}  # institutions answered some


async def test_reports_come_as_csv_and_as_a_printable_page(demo: Demo) -> None:
    answer = await read(demo.reporting, "/v1/reports/summary", demo.auditor, format="csv", **SEASON)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows[-1]["municipality_id"] == "total" and len(rows) == 1 + len({r["municipality_id"] for r in rows[:-1]})
    page = await read(demo.reporting, "/v1/reports/monthly", demo.auditor, mediator_id="med-riga", month="2019-10",
                      format="html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "Romu mediatora mēneša pārskats" in page.text and "<svg" in page.text and "<script" not in page.text
    english = await read(demo.reporting, "/v1/reports/summary", demo.auditor, format="html", lang="en", **SEASON)
    assert "Roma families supported" in english.text
    by_institution = await read(demo.reporting, "/v1/reports/summary", demo.auditor, format="csv",
                                table="by_institution", **SEASON)
    assert by_institution.status_code == 200 and "by_institution" in by_institution.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(by_institution.text)))
    total = {r["municipality_id"]: r["cooperations_total"] for r in rows}["total"]
    assert table and sum(int(r["cooperations"]) for r in table) == int(total)
    assert (await read(demo.reporting, "/v1/reports/summary", demo.auditor, table="by_institution",
                       **SEASON)).status_code == 422  # a table is a CSV's
    excel = await read(demo.reporting, "/v1/reports/summary", demo.auditor, format="csv", dialect="excel", **SEASON)
    assert excel.content.startswith("\ufeff".encode()) and excel.text.lstrip("\ufeff").startswith("from;to;")
    assert list(csv.DictReader(io.StringIO(excel.text.lstrip("\ufeff")), delimiter=";")) == rows
    for shape in ("json", "html"):
        refused = await read(demo.reporting, "/v1/reports/monthly", demo.auditor, mediator_id="med-riga",
                             month="2019-10", format=shape, dialect="excel")
        assert refused.status_code == 422 and "dialect" in refused.text
    assert (await read(demo.reporting, "/v1/reports/summary", demo.auditor, table="figures",
                       **SEASON)).status_code == 200  # ...but the documented default may be sent with any format


async def test_a_report_as_of_an_earlier_sequence_is_the_same_bytes_as_it_was_then(
        world: World, reporting: Harness) -> None:
    family = await world.family("f1")
    query = {"from": "2020-01-01", "to": "2020-01-31", "municipality_id": world.municipality}
    first = await post_as(world, world.as_mediator, "tilts.activity.recorded", {
        "activity_id": world.id("a1"), "kind": "home_visit", "domain": "education", "family_id": family},
        time="2020-01-10T10:00:00+02:00")
    then = await read(reporting, "/v1/reports/summary", world.admin, after=first, **query)
    later = await post_as(world, world.as_mediator, "tilts.activity.recorded", {
        "activity_id": world.id("a2"), "kind": "consultation", "domain": "social", "family_id": family},
        time="2020-01-11T10:00:00+02:00")
    now = await read_json(reporting, "/v1/reports/summary", world.admin, after=later, **query)
    assert now["total"]["activities"]["total"] == 2
    again = await read(reporting, "/v1/reports/summary", world.admin, as_of_sequence=then.json()["as_of_sequence"],
                       **query)
    assert again.content == then.content


async def test_a_submitted_month_keeps_its_figures_and_shows_late_work_as_live(
        world: World, reporting: Harness) -> None:
    family = await world.family("f1")
    for n, day in enumerate((6, 7)):
        await post_as(world, world.as_mediator, "tilts.activity.recorded", {
            "activity_id": world.id(f"a{n}"), "kind": "home_visit", "domain": "education", "family_id": family},
            time=f"2020-01-{day:02d}T10:00:00+02:00")
    submitted = await post_as(world, world.as_mediator, "tilts.report.submitted", {
        "report_id": world.id("rep"), "month": "2020-01", "narrative": NARRATIVE}, time="2020-01-31T16:00:00+02:00")
    report = await read_json(reporting, "/v1/reports/monthly", world.as_mediator, after=submitted,
                             mediator_id=world.mediator, month="2020-01")
    assert (report["status"], report["submitted_sequence"], report["amended_after_submission"]) == (
        "submitted", submitted, False)
    assert report["narrative"] == NARRATIVE and report["families_episodic"] == 1
    late = await post_as(world, world.as_mediator, "tilts.activity.recorded", {
        "activity_id": world.id("late"), "kind": "consultation", "domain": "education", "family_id": family},
        time="2020-01-29T10:00:00+02:00")  # recorded offline, synced after the report went in
    coordinator = world.harness.auth(Role.COORDINATOR, "coord", municipalities=(world.municipality,))
    approved = await post_as(world, coordinator, "tilts.report.approved", {"report_id": world.id("rep"),
                                                                         "note": "Paldies"})
    report = await read_json(reporting, "/v1/reports/monthly", coordinator, after=approved,
                             mediator_id=world.mediator, month="2020-01")
    assert report["status"] == "approved" and report["review_note"] == "Paldies"
    assert report["figures_as_of_sequence"] == submitted and report["activities"]["total"] == 2
    assert report["amended_after_submission"] is True
    assert report["live"]["activities"]["total"] == 3 and report["live"]["families_regular"] == 1
    assert late < report["as_of_sequence"]


@pytest.mark.parametrize(("first", "last"), [("2019-09-01", "2020-04-30"), ("2019-09-15", "2020-02-10"),
                                             ("2019-10-03", "2019-10-20"), ("2020-03-29", "2020-03-31")])
async def test_the_live_summary_from_monthly_tallies_equals_counting_the_facts(
        demo: Demo, first: str, last: str) -> None:
    pool = demo.reporting.app.state.runtime.pool
    period = Period(date.fromisoformat(first), date.fromisoformat(last))
    async with pool.acquire() as connection:
        live = await live_figure_rows(connection, "tilts_reporting", period, demo.last, None)
    counted = await figure_rows(pool, "tilts_reporting", FigureFilter(period.first_day, period.last_day, demo.last))
    places = [Place(m, m) for m in sorted(counted.municipalities() | live.municipalities())]
    assert by_municipality(live, places, {}) == by_municipality(counted, places, {})
    assert by_municipality(live, places, {})["total"]["families_supported"] > 0


async def test_an_activity_id_used_on_two_cases_is_counted_alike_by_every_report(
        world: World, reporting: Harness) -> None:
    # Activity and outcome ids are unique within a case, not across cases: every report over the
    # same events counts each of them, and each case's timeline shows its own.
    family = await world.family("same-ids")
    cases = [await world.case(family, f"same-ids-{n}") for n in range(2)]
    when = {"time": "2020-01-10T10:00:00+02:00"}
    for case_id in cases:
        await post_as(world, world.as_mediator, "tilts.activity.recorded", {
            "activity_id": world.id("visit"), "kind": "home_visit", "domain": "education", "case_id": case_id}, **when)
        last = await post_as(world, world.as_mediator, "tilts.outcome.recorded", {
            "outcome_id": world.id("enrolled"), "case_id": case_id, "kind": "school_enrolled"}, **when)
    place = {"municipality_id": world.municipality}
    whole = await read_json(reporting, "/v1/reports/summary", world.admin, after=last,
                            **{"from": "2020-01-01", "to": "2020-01-31"}, **place)
    part = await read_json(reporting, "/v1/reports/summary", world.admin, after=last,
                           **{"from": "2020-01-02", "to": "2020-01-31"}, **place)
    monthly = await read_json(reporting, "/v1/reports/monthly", world.as_mediator, after=last,
                              mediator_id=world.mediator, month="2020-01")
    for report in (whole["total"], part["total"], monthly):
        assert (report["activities"]["total"], report["outcomes"]["total"]) == (2, 2)
    for case_id in cases:
        case_file = await read_json(reporting, f"/v1/cases/{case_id}", world.as_mediator, after=last)
        assert world.id("visit") in [e.get("activity_id") for e in case_file["timeline"]]


async def _two_place_month(world: World) -> dict[str, Any]:
    """A mediator of both world municipalities cooperates with an institution in each in January,
    submits, and the school acknowledges one cooperation afterwards."""
    both, other = world.id("med-two"), world.id("other-board")
    for kind, data in (("mediator", {"mediator_id": both, "display_name": "Žanna Kalēja",
                                     "municipality_ids": [world.municipality, world.other_municipality]}),
                       ("institution", {"institution_id": other, "municipality_id": world.other_municipality,
                                        "name": "Bāriņtiesa", "kind": "orphans_court"})):
        await must_post(world.harness, event(f"tilts.{kind}.registered", data), world.admin)
    await must_post(world.harness, event("tilts.institution.contact_added", {
        "institution_id": other, "contact_id": world.id("judge"), "name": "Anna Liepa", "role": "priekšsēdētāja"}),
        world.admin)
    as_both = world.harness.auth(Role.MEDIATOR, both)
    family = await world.family("coop-family")
    rows = ((world.id("co-a"), world.institution, world.contacts[0], 12),
            (world.id("co-b"), other, world.id("judge"), 10),
            (world.id("co-c"), world.institution, world.contacts[1], 11))
    for cooperation_id, institution, contact, day in rows:
        # the family lives in the first municipality: the work with the other's institution names none
        named = {"family_id": family} if institution == world.institution else {}
        await post_as(world, as_both, "tilts.cooperation.recorded", {
            "cooperation_id": cooperation_id, "institution_id": institution, "contact_id": contact,
            "domain": "education", "channel": "meeting", "purpose": "kavējumu <iemesli>", **named},
            time=f"2020-01-{day:02d}T10:00:00+02:00")
    await post_as(world, world.as_institution, "tilts.cooperation.disputed", {
        "cooperation_id": world.id("co-c"), "contact_id": world.contacts[1], "reason": "<b>Nebija</b> tikšanās"})
    submitted = await post_as(world, as_both, "tilts.report.submitted", {
        "report_id": world.id("rep-two"), "month": "2020-01", "narrative": NARRATIVE})
    acknowledged = await post_as(world, world.as_institution, "tilts.cooperation.acknowledged", {
        "cooperation_id": world.id("co-a"), "contact_id": world.contacts[0]})
    return {"mediator": both, "submitted": submitted, "acknowledged": acknowledged, "family": family}


async def test_a_monthly_report_lists_whom_the_mediator_cooperated_with_and_the_answers_as_of_now(
        world: World, reporting: Harness) -> None:
    month = await _two_place_month(world)
    query = {"mediator_id": month["mediator"], "month": "2020-01"}
    report = await read_json(reporting, "/v1/reports/monthly", world.admin, after=month["acknowledged"], **query)
    items = report["cooperations_list"]
    assert [i["cooperation_id"] for i in items] == [world.id(n) for n in ("co-b", "co-c", "co-a")]  # time order
    assert all("family_id" not in i and "case_id" not in i for i in items)
    assert month["family"] not in str(report)
    assert [i["status"] for i in items] == ["recorded", "disputed", "acknowledged"]
    assert items[2]["answer"]["sequence"] > report["submitted_sequence"]  # answered after submission
    assert items[0]["contact"] == {"contact_id": world.id("judge"), "name": "Anna Liepa", "role": "priekšsēdētāja"}
    # Only the acknowledgement changed the figures: the flag says amended, the page says what.
    assert report["amended_after_submission"] is True
    page = await read(reporting, "/v1/reports/monthly", world.admin, format="html", **query)
    assert "Pēc iesniegšanas iestādes apstiprināja vēl 1 sadarbību." in page.text
    assert "Pēc iesniegšanas reģistrēti" not in page.text
    assert "Anna Liepa (priekšsēdētāja)" in page.text and "&lt;b&gt;Nebija&lt;/b&gt; tikšanās" in page.text
    assert "kavējumu &lt;iemesli&gt;" in page.text and "<b>" not in page.text
    # As of its submission, the same report lists the same cooperations, without the later answer.
    then = await read_json(reporting, "/v1/reports/monthly", world.admin, as_of_sequence=month["submitted"],
                           **query)
    assert [i["status"] for i in then["cooperations_list"]] == ["recorded", "disputed", "recorded"]
    again = await read(reporting, "/v1/reports/monthly", world.admin, as_of_sequence=month["submitted"],
                       format="html", **query)
    assert again.content == (await read(reporting, "/v1/reports/monthly", world.admin,
                                        as_of_sequence=month["submitted"], format="html", **query)).content


async def test_a_coordinator_sees_only_the_cooperations_in_their_municipalities(
        world: World, reporting: Harness) -> None:
    month = await _two_place_month(world)
    coordinator = world.harness.auth(Role.COORDINATOR, "coord", municipalities=(world.municipality,))
    query = {"mediator_id": month["mediator"], "month": "2020-01"}
    report = await read_json(reporting, "/v1/reports/monthly", coordinator, after=month["acknowledged"], **query)
    assert [i["cooperation_id"] for i in report["cooperations_list"]] == [world.id("co-c"), world.id("co-a")]
    assert report["cooperations"]["total"] == 2
    page = await read(reporting, "/v1/reports/monthly", coordinator, format="html", **query)
    assert "Anna Liepa" not in page.text and "Bāriņtiesa" not in page.text
