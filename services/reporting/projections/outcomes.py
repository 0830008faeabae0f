"""Read model of outcomes: results achieved in a case, for which persons."""

from __future__ import annotations

from shared.events.work import OutcomeRecorded

from .changes import Change, Insert
from .facts import Fact
from .known import Known
from .work import family_of, stamped


def outcome_recorded(fact: Fact, known: Known) -> list[Change]:
    data: OutcomeRecorded = fact.data  # type: ignore[assignment]
    return [Insert("outcomes", {
        "outcome_id": data.outcome_id, **stamped(fact), "case_id": data.case_id,
        "family_id": family_of(data, known), "kind": str(data.kind), "person_ids": list(data.person_ids),
        "note": data.note})]


HANDLERS = {OutcomeRecorded: outcome_recorded}
