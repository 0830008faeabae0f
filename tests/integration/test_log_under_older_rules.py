"""A log written under older input rules stays usable: events today's rules would refuse (a bidi
control in a name, a year-1 time) are read back, referred to and projected without failing."""

from __future__ import annotations

from typing import Any

import pytest

from services.intake.bootstrap import create_app as create_intake
from services.reporting.bootstrap import create_app as create_reporting
from shared.events import envelope, fields
from tests.support.harness import event, running
from tests.support.reporting import read, read_json
from tests.support.world import World, must_post


class _NoEarliest:
    """No time is before it (the rule before event times had a lower bound)."""

    def __gt__(self, other: object) -> bool:
        return False


async def test_events_stored_under_older_rules_are_referred_to_and_projected(
        make_settings: Any, monkeypatch: pytest.MonkeyPatch, unique_id: str) -> None:
    settings = await make_settings()
    async with running(create_intake, settings) as intake, running(create_reporting, settings) as reporting:
        world = await World.create(intake, unique_id)
        spoofed = world.id("spoofed")
        with monkeypatch.context() as older:  # the rules of an earlier version
            older.setattr(fields, "_BIDI_CONTROLS", fields.re.compile("(?!)"))
            older.setattr(envelope, "EARLIEST_TIME", _NoEarliest())
            await must_post(intake, event("tilts.institution.registered", {
                "institution_id": spoofed, "municipality_id": world.municipality, "name": "Skola\u202eadiks",
                "kind": "school"}), world.admin)
            ancient = await must_post(intake, event("tilts.activity.recorded", {
                "activity_id": world.id("ancient"), "kind": "home_visit", "domain": "education",
                "municipality_id": world.municipality}, time="0001-01-01T00:30:00+01:00"), world.as_mediator)
        # Today's intake decides on them: a contact for the institution, a cooperation naming it.
        await must_post(intake, event("tilts.institution.contact_added", {
            "institution_id": spoofed, "contact_id": world.id("spoofed-c"), "name": "Ilze Kalniņa",
            "role": "direktore"}), world.admin)
        last = await must_post(intake, event("tilts.cooperation.recorded", {
            "cooperation_id": world.id("spoofed-co"), "institution_id": spoofed,
            "contact_id": world.id("spoofed-c"), "domain": "education", "channel": "meeting",
            "purpose": "kavējumu iemesli"}), world.as_mediator)
        # Reporting projects past them and serves them.
        ledger = await read_json(reporting, "/v1/cooperations", world.admin, after=last["sequence"])
        assert world.id("spoofed-co") in [row["cooperation_id"] for row in ledger["items"]]
        assert (await reporting.client.get("/readyz")).status_code == 200
        summary = await read(reporting, "/v1/reports/summary", world.admin, after=ancient["sequence"],
                             **{"from": "2000-01-01", "to": "2000-01-31"})
        assert summary.status_code == 200, summary.text
