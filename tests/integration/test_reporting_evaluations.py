"""Institutions' evaluations through HTTP: tallied per question with their texts, by Riga day,
within each reader's scope, reproducible as of a sequence, and bad queries refused."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from services.reporting.bootstrap import create_app as create_reporting
from services.reporting.rebuild.checksums import ReportSet, checksums, report_set
from shared.roles import Role
from tests.support.harness import Harness, event, running
from tests.support.reporting import log_head, post_as, read, read_json
from tests.support.world import World, must_post

APRIL = {"from": "2020-04-01", "to": "2020-04-30"}
PATH = "/v1/reports/evaluations"


@pytest.fixture(scope="module")
async def reporting(intake: Harness) -> AsyncIterator[Harness]:
    """The reporting service on the intake's stream and database."""
    async with running(create_reporting, intake.settings) as harness:
        yield harness


def _answers(*answers: str, achievements: str = "Bērni regulāri apmeklē skolu",
             keep: str = "Turpināt darbu ar vecākiem") -> dict[str, str]:
    questions = ("improved_communication", "identified_needs", "improved_access", "coordinated_actions",
                 "joint_planning")
    return {**dict(zip(questions, answers, strict=True)), "key_achievements": achievements, "keep_in_view": keep}


async def _evaluate(world: World, name: str, answers: dict[str, str], time: str, *, institution: str | None = None,
                    contact: str | None = None, mediator: str | None = None, headers: dict | None = None) -> int:
    return await post_as(world, headers or world.as_institution, "tilts.evaluation.submitted", {
        "evaluation_id": world.id(name), "institution_id": institution or world.institution,
        "contact_id": contact or world.contacts[0], "mediator_id": mediator or world.mediator,
        "domain": "education", "answers": answers}, time=time)


@dataclass
class Elsewhere:
    """A second mediator and an institution in the world's other municipality, which evaluated both mediators."""

    mediator: str
    institution: str
    head: int

    def as_institution(self, world: World) -> dict[str, str]:
        return world.harness.auth(Role.INSTITUTION, f"{self.institution}-api", institution=self.institution)


@pytest.fixture
async def elsewhere(world: World) -> Elsewhere:
    harness, admin = world.harness, world.admin
    mediator, institution, contact = world.id("med2"), world.id("social"), world.id("social-c1")
    await must_post(harness, event("tilts.mediator.registered", {
        "mediator_id": mediator, "display_name": "Laima Kalēja", "municipality_ids": [world.other_municipality]}),
        admin)
    await must_post(harness, event("tilts.institution.registered", {
        "institution_id": institution, "municipality_id": world.other_municipality, "name": "Balvu sociālais dienests",
        "kind": "social_service"}), admin)
    await must_post(harness, event("tilts.institution.contact_added", {
        "institution_id": institution, "contact_id": contact, "name": "Inese Bērziņa", "role": "sociālā darbiniece"}),
        admin)
    found = Elsewhere(mediator, institution, 0)
    await _evaluate(world, "home", _answers("yes", "yes", "partly", "yes", "no"), "2020-04-14T10:00:00+03:00")
    for name, about in (("far-own", mediator), ("far-ours", world.mediator)):
        await _evaluate(world, name, _answers("no", "no", "no", "partly", "no", achievements=f"Par {about}"),
                        "2020-04-15T10:00:00+03:00", institution=institution, contact=contact, mediator=about,
                        headers=found.as_institution(world))
    found.head = await log_head(harness)
    return found


def _ids(report: dict[str, Any]) -> list[str]:
    return [item["evaluation_id"] for item in report["items"]]


async def test_evaluations_are_tallied_per_question_with_the_institutions_texts(
        world: World, reporting: Harness) -> None:
    await _evaluate(world, "e1", _answers("yes", "partly", "partly", "yes", "no"), "2020-04-20T09:00:00+03:00")
    last = await _evaluate(world, "e2", _answers("yes", "yes", "no", "yes", "no", achievements="Pieteikti <b>5</b>"
                                                 " bērni pirmsskolai"), "2020-04-21T09:00:00+03:00")
    report = await read_json(reporting, PATH, world.admin, after=last, municipality_id=world.municipality, **APRIL)
    assert (report["from"], report["to"], report["evaluations"]) == ("2020-04-01", "2020-04-30", 2)
    assert report["municipality_id"] == world.municipality and "figures_limited_to" not in report
    assert [q["question"] for q in report["questions"]] == [
        "improved_communication", "identified_needs", "improved_access", "coordinated_actions", "joint_planning"]
    tallies = {q["question"]: q["answers"] for q in report["questions"]}
    assert tallies["improved_communication"] == {"yes": 2, "partly": 0, "no": 0}
    assert tallies["improved_access"] == {"yes": 0, "partly": 1, "no": 1}
    achievements = report["texts"]["key_achievements"]
    assert [t["text"] for t in achievements] == ["Bērni regulāri apmeklē skolu", "Pieteikti <b>5</b> bērni pirmsskolai"]
    assert achievements[0]["institution_name"] == "Jelgavas Ozolu pamatskola"
    assert achievements[0]["time"] == "2020-04-20T09:00:00+03:00"
    assert [(m["mediator_id"], m["name"], m["evaluations"]) for m in report["by_mediator"]] == [
        (world.mediator, "Marta Ozoliņa", 2)]
    page = await read(reporting, PATH, world.admin, municipality_id=world.municipality, format="html", **APRIL)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"] and "<script" not in page.text
    assert "Pašvaldības darbinieku aptauju kopsavilkums" in page.text
    assert "Vai uzskatāt, ka romu mediators ir veicinājis romu piekļuvi pašvaldības pakalpojumiem?" in page.text
    assert "Pieteikti &lt;b&gt;5&lt;/b&gt; bērni" in page.text
    english = await read(reporting, PATH, world.admin, municipality_id=world.municipality, format="html", lang="en",
                         **APRIL)
    assert "Summary of the municipal staff surveys" in english.text
    sheet = await read(reporting, PATH, world.admin, municipality_id=world.municipality, format="csv", **APRIL)
    assert sheet.headers["content-type"].startswith("text/csv")
    assert "tilts-evaluations-2020-04-01-2020-04-30.csv" in sheet.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert [r["evaluation_id"] for r in rows] == _ids(report) and rows[1]["improved_access"] == "no"


async def test_an_evaluation_counts_on_its_riga_day_whatever_offset_it_was_sent_with(
        world: World, reporting: Harness) -> None:
    # 21:30 UTC on 30 April is already 1 May in Riga; 20:59 UTC is still 30 April.
    await _evaluate(world, "april", _answers("yes", "yes", "yes", "yes", "yes"), "2020-04-30T20:59:00+00:00")
    last = await _evaluate(world, "may", _answers("no", "no", "no", "no", "no"), "2020-04-30T21:30:00Z")
    place = {"municipality_id": world.municipality}
    april = await read_json(reporting, PATH, world.admin, after=last, **place, **APRIL)
    may = await read_json(reporting, PATH, world.admin, **place, **{"from": "2020-05-01", "to": "2020-05-01"})
    assert _ids(april) == [world.id("april")] and _ids(may) == [world.id("may")]
    assert may["texts"]["keep_in_view"][0]["time"] == "2020-05-01T00:30:00+03:00"


async def test_each_reader_sees_the_evaluations_in_their_scope(
        world: World, elsewhere: Elsewhere, reporting: Harness) -> None:
    after = {"after": elsewhere.head}
    home, far_own, far_ours = world.id("home"), world.id("far-own"), world.id("far-ours")
    auditor = world.harness.auth(Role.AUDITOR, "auditor-1")
    every = await read_json(reporting, PATH, auditor, **after, mediator_id=world.mediator, **APRIL)
    assert _ids(every) == [home, far_ours]
    # A coordinator: the evaluations made by institutions in their municipalities, of any mediator.
    coordinator = world.harness.auth(Role.COORDINATOR, "coord-1", municipalities=(world.municipality,))
    ours = await read_json(reporting, PATH, coordinator, **after, **APRIL)
    assert _ids(ours) == [home] and ours["figures_limited_to"] == [world.municipality]
    other = world.harness.auth(Role.COORDINATOR, "coord-2", municipalities=(world.other_municipality,))
    theirs = await read_json(reporting, PATH, other, **after, mediator_id=world.mediator, **APRIL)
    assert _ids(theirs) == [far_ours]
    refused = await read(reporting, PATH, other, municipality_id=world.municipality, **APRIL)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    # A mediator: the evaluations of their own work, wherever the institution is.
    own = await read_json(reporting, PATH, world.as_mediator, **after, **APRIL)
    assert _ids(own) == [home, far_ours] and own["mediator_id"] == world.mediator
    assert [m["mediator_id"] for m in own["by_mediator"]] == [world.mediator]
    as_other = world.harness.auth(Role.MEDIATOR, elsewhere.mediator)
    assert _ids(await read_json(reporting, PATH, as_other, **APRIL)) == [far_own]
    assert (await read(reporting, PATH, as_other, mediator_id=world.mediator, **APRIL)).status_code == 403
    # An institution reads no reports, its own evaluations included.
    for institution in (world.as_institution, elsewhere.as_institution(world)):
        assert (await read(reporting, PATH, institution, **APRIL)).status_code == 403


async def test_the_report_as_of_an_earlier_sequence_is_the_same_bytes_as_it_was_then(
        world: World, reporting: Harness) -> None:
    first = await _evaluate(world, "before", _answers("yes", "partly", "no", "yes", "partly"),
                            "2020-04-10T12:00:00+03:00")
    query = {"municipality_id": world.municipality, **APRIL}
    then = {shape: await read(reporting, PATH, world.admin, after=first, format=shape, **query)
            for shape in ("json", "csv", "html")}
    as_of = then["json"].json()["as_of_sequence"]
    later = await _evaluate(world, "after", _answers("no", "no", "no", "no", "no"), "2020-04-09T12:00:00+03:00")
    now = await read_json(reporting, PATH, world.admin, after=later, **query)
    assert now["evaluations"] == 2 and now["as_of_sequence"] >= later
    for shape, answer in then.items():
        again = await read(reporting, PATH, world.admin, as_of_sequence=as_of, format=shape, **query)
        assert again.status_code == 200 and again.content == answer.content, shape


@pytest.mark.parametrize(("query", "field"), [
    ({"from": "2020-04-30", "to": "2020-04-01"}, "to"),
    ({"from": "2020-02-30", "to": "2020-04-01"}, "from"),
    ({"from": "2020-04", "to": "2020-04-30"}, "from"),
    ({"to": "2020-04-30"}, "from"),
    ({**APRIL, "format": "pdf"}, "format"),
    ({**APRIL, "lang": "de"}, "lang"),
    ({**APRIL, "dialect": "excel"}, "dialect"),
    ({**APRIL, "mediator_id": "bad id"}, "mediator_id"),
    ({**APRIL, "as_of_sequence": "-1"}, "as_of_sequence"),
    ({**APRIL, "as_of_sequence": str(10**17)}, "as_of_sequence"),
])
async def test_a_bad_query_is_a_422_naming_the_parameter(
        world: World, reporting: Harness, query: dict[str, str], field: str) -> None:
    answer = await read(reporting, PATH, world.admin, **query)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert f"query.{field}" in [e["field"] for e in answer.json()["errors"]], answer.json()


async def test_an_unknown_municipality_or_mediator_is_a_404(world: World, reporting: Harness) -> None:
    for query in ({"municipality_id": world.id("nowhere")}, {"mediator_id": world.id("nobody")}):
        answer = await read(reporting, PATH, world.admin, **query, **APRIL)
        assert answer.status_code == 404, answer.text


async def test_a_rebuild_compares_the_evaluations_report_too(world: World, reporting: Harness) -> None:
    last = await _evaluate(world, "fingerprinted", _answers("yes", "yes", "yes", "no", "no"),
                           "2020-04-03T12:00:00+03:00")
    await read_json(reporting, PATH, world.admin, after=last, **APRIL)
    pool = reporting.app.state.runtime.pool
    which = await report_set(pool, "tilts_reporting", last)
    assert which.evaluated is not None and which.evaluated.first_day <= date(2020, 4, 3) <= which.evaluated.last_day
    only = ReportSet(None, (), (), which.evaluated)
    first, again = [await checksums(pool, "tilts_reporting", last, only) for _ in range(2)]
    assert list(first) == ["evaluations:total"] and first == again and only.union(ReportSet(None, (), ())) == only
