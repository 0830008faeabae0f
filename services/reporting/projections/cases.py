"""Read model of cases: a family's need in one domain, opened and perhaps closed.

The case timeline is read from the facts that name the case (activities, cooperations,
referrals, outcomes), each of which carries its own sequence and time.
"""

from __future__ import annotations

from shared.events.case import CaseClosed, CaseOpened

from .changes import Change, Insert, Update
from .facts import Fact
from .known import Known


def case_opened(fact: Fact, known: Known) -> list[Change]:
    data: CaseOpened = fact.data  # type: ignore[assignment]
    return [Insert("cases", {
        "case_id": data.case_id, "family_id": data.family_id, "municipality_id": fact.municipality_id,
        "domain": str(data.domain), "need": data.need, "description": data.description,
        "opened_at": fact.time, "opened_on": fact.local_date, "opened_by": fact.actor,
        "sequence": fact.sequence, "event_id": fact.event_id})]


def case_closed(fact: Fact, known: Known) -> list[Change]:
    data: CaseClosed = fact.data  # type: ignore[assignment]
    return [Update("cases", {"case_id": data.case_id}, {
        "closed_sequence": fact.sequence, "closed_at": fact.time, "closed_by": fact.actor,
        "resolution": str(data.resolution), "closing_note": data.note})]


HANDLERS = {CaseOpened: case_opened, CaseClosed: case_closed}
