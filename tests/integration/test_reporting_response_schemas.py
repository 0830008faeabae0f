"""The reads answer as their OpenAPI says: real answers checked against the documented schemas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import jsonschema_rs
import pytest

from services.reporting.bootstrap import create_app as create_reporting
from shared.roles import Role
from tests.support.harness import Harness, event, running
from tests.support.reporting import post_as, read_json
from tests.support.world import World, must_post


@pytest.fixture(scope="module")
async def reporting(intake: Harness) -> AsyncIterator[Harness]:
    async with running(create_reporting, intake.settings) as harness:
        yield harness


def _documented(reporting: Harness, path: str) -> dict[str, Any]:
    document = reporting.app.openapi()
    return document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def _conforms(reporting: Harness, path: str, answer: dict[str, Any]) -> None:
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}"
              for e in jsonschema_rs.Draft202012Validator(_documented(reporting, path)).iter_errors(answer)]
    assert not errors, f"{path} answered outside its schema:\n" + "\n".join(errors[:20])


async def test_every_read_answers_as_its_schema_says(world: World, reporting: Harness) -> None:
    family = await world.family("documented", persons=(world.id("child"),))
    case = await world.case(family)
    cooperation = await world.cooperation("co", family_id=family, case_id=case)
    await must_post(world.harness, event("tilts.cooperation.acknowledged", {
        "cooperation_id": cooperation, "contact_id": world.contacts[0], "note": "tikāmies"}), world.as_institution)
    await post_as(world, world.as_mediator, "tilts.referral.made", {
        "referral_id": world.id("ref"), "case_id": case, "institution_id": world.institution, "service": "konsultācija"})
    await post_as(world, world.as_mediator, "tilts.activity.recorded", {
        "activity_id": world.id("visit"), "kind": "home_visit", "domain": "education", "family_id": family})
    await post_as(world, world.as_institution, "tilts.evaluation.submitted", {
        "evaluation_id": world.id("evaluation"), "institution_id": world.institution, "contact_id": world.contacts[0],
        "mediator_id": world.mediator, "domain": "education", "answers": {
            "improved_communication": "yes", "identified_needs": "partly", "improved_access": "no",
            "coordinated_actions": "yes", "joint_planning": "no", "key_achievements": "a", "keep_in_view": "b"}},
        time="2020-01-20T12:00:00+02:00")
    head = await post_as(world, world.as_mediator, "tilts.report.submitted", {
        "report_id": world.id("report"), "month": "2020-01", "narrative": {
            "main_issues": "kavējumi", "glad_about": "x", "challenges": "y", "next_priorities": "z"}},
        time="2020-01-31T12:00:00+02:00")
    auditor = world.harness.auth(Role.AUDITOR, "auditor-1")
    reads = {
        "/v1/families/{family_id}": (f"/v1/families/{family}", world.as_mediator, {}),
        "/v1/cases/{case_id}": (f"/v1/cases/{case}", world.as_mediator, {}),
        "/v1/cases": ("/v1/cases", world.admin, {"family_id": family}),
        "/v1/cooperations": ("/v1/cooperations", world.admin, {"institution_id": world.institution}),
        "/v1/referrals": ("/v1/referrals", world.admin, {"institution_id": world.institution}),
        "/v1/reports/monthly": ("/v1/reports/monthly", world.admin, {"mediator_id": world.mediator, "month": "2020-01"}),
        "/v1/reports/summary": ("/v1/reports/summary", world.admin, {"from": "2019-09-01", "to": "2026-12-31"}),
        "/v1/reports/evaluations": ("/v1/reports/evaluations", world.admin, {
            "from": "2020-01-01", "to": "2020-01-31", "municipality_id": world.municipality}),
        "/v1/audit/access": ("/v1/audit/access", auditor, {"family_id": family}),
    }
    for documented, (path, headers, query) in reads.items():
        answer = await read_json(reporting, path, headers, after=head, **query)
        _conforms(reporting, documented, answer)
    # An institution's lines leave out the family references, and still conform.
    for documented in ("/v1/cooperations", "/v1/referrals"):
        answer = await read_json(reporting, documented, world.as_institution, after=head)
        assert answer["items"] and "family_id" not in answer["items"][0]
        _conforms(reporting, documented, answer)
