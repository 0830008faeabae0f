"""Read model of families and their members.

Personal blocks stay exactly as sealed in the log, with the id of the event that sealed them
(the ciphertext is bound to it); only a read allowed to see them opens them, with the family's
key. Erasure clears the sealed blocks here too; the key is gone anyway, so no rebuild can make
them readable again.
"""

from __future__ import annotations

from shared.events.family import (ConsentWithdrawn, FamilyErased, FamilyRegisteredStored,
                                  PersonAddedStored)

from .changes import Change, Insert, Update
from .facts import Fact
from .known import Known


def _sealed(personal: object) -> dict | None:
    return None if personal is None else personal.model_dump(mode="json")  # type: ignore[attr-defined]


def family_registered(fact: Fact, known: Known) -> list[Change]:
    data: FamilyRegisteredStored = fact.data  # type: ignore[assignment]
    return [Insert("families", {
        "family_id": data.family_id, "municipality_id": data.municipality_id, "sequence": fact.sequence,
        "event_id": fact.event_id, "registered_at": fact.time, "registered_by": fact.actor,
        "consent_given_on": data.consent.given_on, "consent_scope": data.consent.scope,
        "personal": _sealed(data.personal)})]


def person_added(fact: Fact, known: Known) -> list[Change]:
    data: PersonAddedStored = fact.data  # type: ignore[assignment]
    return [Insert("persons", {
        "family_id": data.family_id, "person_id": data.person_id, "relation": str(data.relation),
        "birth_year": data.birth_year, "personal": _sealed(data.personal), "event_id": fact.event_id,
        "sequence": fact.sequence})]


def consent_withdrawn(fact: Fact, known: Known) -> list[Change]:
    data: ConsentWithdrawn = fact.data  # type: ignore[assignment]
    return [Update("families", {"family_id": data.family_id},
                   {"consent_withdrawn_sequence": fact.sequence, "consent_withdrawn_at": fact.time})]


def family_erased(fact: Fact, known: Known) -> list[Change]:
    data: FamilyErased = fact.data  # type: ignore[assignment]
    return [Update("families", {"family_id": data.family_id},
                   {"erased_sequence": fact.sequence, "erased_at": fact.time, "erasure_reason": data.reason,
                    "erasure_recorded_at": fact.recorded, "personal": None}),
            Update("persons", {"family_id": data.family_id}, {"personal": None})]


HANDLERS = {
    FamilyRegisteredStored: family_registered,
    PersonAddedStored: person_added,
    ConsentWithdrawn: consent_withdrawn,
    FamilyErased: family_erased,
}
