"""Roll-ups that make report figures fast: which families, persons and mediators were reached, on which days.

One row per (municipality, mediator, family, Riga day) and so on, keeping the sequence of the
first event that made it; later events of the same day add nothing. Counting the rows with
`sequence <= as_of` gives the figures as of any point in the log.
"""

from __future__ import annotations

from shared.events.work import ActivityRecorded, CooperationRecorded, OutcomeRecorded, ReferralMade

from .changes import Change, Insert
from .facts import Fact
from .known import Known
from .work import family_of

PERSONS_NAMED_BY = (ActivityRecorded, OutcomeRecorded)


def reached(fact: Fact, known: Known) -> list[Change]:
    """The reach of one activity, cooperation, referral or outcome."""
    where = {"municipality_id": fact.municipality_id, "mediator_id": fact.actor}
    changes: list[Change] = [Insert("mediator_days", {**where, "local_date": fact.local_date,
                                                      "sequence": fact.sequence})]
    family_id = family_of(fact.data, known)
    if family_id is None:
        return changes
    changes.append(Insert("family_days", {**where, "family_id": family_id, "local_date": fact.local_date,
                                          "sequence": fact.sequence}))
    if isinstance(fact.data, PERSONS_NAMED_BY):
        changes += [Insert("person_days", {**where, "family_id": family_id, "person_id": person_id,
                                           "local_date": fact.local_date, "sequence": fact.sequence})
                    for person_id in fact.data.person_ids]
    return changes


HANDLERS = {ActivityRecorded: reached, CooperationRecorded: reached, ReferralMade: reached,
            OutcomeRecorded: reached}
