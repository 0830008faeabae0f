"""Monthly tallies that make summaries over long periods fast.

Per municipality and calendar month (of the Riga day the work happened): activities by kind and
domain (with the participants they recorded), cooperations by institution and domain with how many
were acknowledged or disputed, outcomes by kind, which mediators worked, the days each family was reached (a bit per day of the month) and the
months each person was named (a bit per month of the year). They hold the state as of the
projection's position, so they serve the live summary, read in the same snapshot as that
position; reports as of an earlier sequence are counted from the facts instead.
"""

from __future__ import annotations

from datetime import date

from shared.events.work import (ActivityRecorded, CooperationAcknowledged, CooperationDisputed, CooperationRecorded,
                                OutcomeRecorded,
                                ReferralMade)

from .changes import Add, Change, Insert, Mark
from .facts import Fact
from .known import Known
from .work import family_of


def _month(day: date) -> date:
    return day.replace(day=1)


def _place(fact: Fact) -> dict[str, object]:
    return {"municipality_id": fact.municipality_id, "month": _month(fact.local_date)}


def reached(fact: Fact, known: Known) -> list[Change]:
    """The mediator, family and persons one piece of family work reached, by month."""
    changes: list[Change] = [Insert("month_mediators", {**_place(fact), "mediator_id": fact.actor})]
    family_id = family_of(fact.data, known)
    if family_id is None:
        return changes
    changes.append(Mark("month_families", {**_place(fact), "family_id": family_id},
                        {"days": 1 << (fact.local_date.day - 1)}))
    if isinstance(fact.data, ActivityRecorded | OutcomeRecorded):
        month_bit = 1 << (fact.local_date.month - 1)
        changes += [Mark("year_persons", {"municipality_id": fact.municipality_id, "family_id": family_id,
                                          "person_id": person_id, "year": fact.local_date.year},
                         {"months": month_bit}) for person_id in fact.data.person_ids]
    return changes


def activity_counted(fact: Fact, known: Known) -> list[Change]:
    data: ActivityRecorded = fact.data  # type: ignore[assignment]
    return [Add("month_activities", {**_place(fact), "kind": str(data.kind), "domain": str(data.domain)},
                {"n": 1, "participants": data.participants or 0}),
            *reached(fact, known)]


def cooperation_counted(fact: Fact, known: Known) -> list[Change]:
    data: CooperationRecorded = fact.data  # type: ignore[assignment]
    key = {**_place(fact), "institution_id": data.institution_id, "domain": str(data.domain)}
    return [Add("month_cooperations", key, {"n": 1, "acknowledged": 0, "disputed": 0}), *reached(fact, known)]


def _answer_counted(cooperation_id: str, known: Known, answer: str) -> list[Change]:
    """An acknowledgement or a dispute counts in the month of the cooperation it answers."""
    tally = known.cooperations[cooperation_id]
    key = {"municipality_id": tally.municipality_id, "month": tally.month, "institution_id": tally.institution_id,
           "domain": tally.domain}
    return [Add("month_cooperations", key, {"n": 0, "acknowledged": int(answer == "acknowledged"),
                                            "disputed": int(answer == "disputed")})]


def acknowledgement_counted(fact: Fact, known: Known) -> list[Change]:
    data: CooperationAcknowledged = fact.data  # type: ignore[assignment]
    return _answer_counted(data.cooperation_id, known, "acknowledged")


def dispute_counted(fact: Fact, known: Known) -> list[Change]:
    data: CooperationDisputed = fact.data  # type: ignore[assignment]
    return _answer_counted(data.cooperation_id, known, "disputed")


def outcome_counted(fact: Fact, known: Known) -> list[Change]:
    data: OutcomeRecorded = fact.data  # type: ignore[assignment]
    return [Add("month_outcomes", {**_place(fact), "kind": str(data.kind)}, {"n": 1}), *reached(fact, known)]


HANDLERS = {ActivityRecorded: activity_counted, CooperationRecorded: cooperation_counted,
            CooperationAcknowledged: acknowledgement_counted, CooperationDisputed: dispute_counted,
            ReferralMade: reached, OutcomeRecorded: outcome_counted}
