"""Read model of activities: what a mediator did, of which kind, in which domain."""

from __future__ import annotations

from shared.events.work import ActivityRecorded

from .changes import Change, Insert
from .facts import Fact
from .known import Known
from .work import family_of, stamped


def activity_recorded(fact: Fact, known: Known) -> list[Change]:
    data: ActivityRecorded = fact.data  # type: ignore[assignment]
    return [Insert("activities", {
        "activity_id": data.activity_id, **stamped(fact), "kind": str(data.kind), "domain": str(data.domain),
        "family_id": family_of(data, known), "case_id": data.case_id, "person_ids": list(data.person_ids),
        "participants": data.participants, "duration_minutes": data.duration_minutes, "note": data.note})]


HANDLERS = {ActivityRecorded: activity_recorded}
