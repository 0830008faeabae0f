"""Read model of who is who: municipalities, institutions and their contacts, mediators.

A mediator may be registered again (new name or municipalities): every registration is kept
with its sequence, and readers take the latest one up to the sequence they read as of.
"""

from __future__ import annotations

from shared.events.institution import ContactAdded, InstitutionRegistered
from shared.events.mediator import MediatorRegistered
from shared.events.municipality import MunicipalityRegistered

from .changes import Change, Insert
from .facts import Fact
from .known import Known


def municipality_registered(fact: Fact, known: Known) -> list[Change]:
    data: MunicipalityRegistered = fact.data  # type: ignore[assignment]
    return [Insert("municipalities", {"municipality_id": data.municipality_id, "name": data.name,
                                      "sequence": fact.sequence})]


def institution_registered(fact: Fact, known: Known) -> list[Change]:
    data: InstitutionRegistered = fact.data  # type: ignore[assignment]
    return [Insert("institutions", {
        "institution_id": data.institution_id, "municipality_id": data.municipality_id, "name": data.name,
        "kind": str(data.kind), "domains": [str(d) for d in data.domains], "sequence": fact.sequence})]


def contact_added(fact: Fact, known: Known) -> list[Change]:
    data: ContactAdded = fact.data  # type: ignore[assignment]
    return [Insert("contacts", {"institution_id": data.institution_id, "contact_id": data.contact_id,
                                "name": data.name, "role": data.role, "sequence": fact.sequence})]


def mediator_registered(fact: Fact, known: Known) -> list[Change]:
    data: MediatorRegistered = fact.data  # type: ignore[assignment]
    return [Insert("mediator_registrations", {
        "mediator_id": data.mediator_id, "sequence": fact.sequence, "display_name": data.display_name,
        "municipality_ids": list(data.municipality_ids)})]


HANDLERS = {
    MunicipalityRegistered: municipality_registered,
    InstitutionRegistered: institution_registered,
    ContactAdded: contact_added,
    MediatorRegistered: mediator_registered,
}
