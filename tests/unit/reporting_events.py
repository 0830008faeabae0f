"""Stored events for reporting tests: a tiny world, and builders that read like the work itself."""

from __future__ import annotations

from itertools import count
from typing import Any

from shared.events.envelope import StoredEvent

from examples import sealed

M1, M2 = "jelgava", "balvi"
MED, MED2 = "med-1", "med-2"
SCHOOL, SOCIAL = "inst-school", "inst-social"
TEACHER, PEDAGOGUE, SOCIAL_WORKER = "ct-teacher", "ct-pedagogue", "ct-social"
FAM, FAM2 = "fam-1", "fam-2"

_sequences = count(1)


class Log:
    """Stored events with increasing sequences, as the runner would hand them over."""

    def __init__(self) -> None:
        self.sequence = 0
        self.events: list[StoredEvent] = []

    def add(self, type_: str, data: dict[str, Any], *, time: str = "2020-01-14T10:00:00+02:00",
            actor: str = MED, role: str = "mediator", municipality: str = M1, event_id: str | None = None,
            sequence: int | None = None) -> StoredEvent:
        self.sequence = sequence or self.sequence + 1
        event = StoredEvent(
            id=event_id or f"ev-{next(_sequences)}", source="tests/phone", type=type_, time=time, subject="x",
            recordedtime="2020-01-14T08:00:00Z", actor=actor, actorrole=role, municipalityid=municipality,
            aggregatetype="x", aggregateid="x", version=1, schemaversion=1, fingerprint="f", prevhash="0" * 64,
            hash="h", data=data, sequence=self.sequence)
        self.events.append(event)
        return event


def world(log: Log) -> Log:
    """Two municipalities, two institutions with contacts, two mediators (one in both places), two families."""
    log.add("tilts.municipality.registered", {"municipality_id": M1, "name": "Jelgava"}, actor="admin", role="admin")
    log.add("tilts.municipality.registered", {"municipality_id": M2, "name": "Balvi"}, actor="admin",
            role="admin", municipality=M2)
    for institution, name, kind, place in ((SCHOOL, "Jelgavas Ozolu pamatskola", "school", M1),
                                           (SOCIAL, "Balvu sociālais dienests", "social_service", M2)):
        log.add("tilts.institution.registered", {"institution_id": institution, "municipality_id": place,
                                                 "name": name, "kind": kind}, actor="admin", role="admin",
                municipality=place)
    for institution, contact, role, place in ((SCHOOL, TEACHER, "skolotāja", M1),
                                              (SCHOOL, PEDAGOGUE, "sociālā pedagoģe", M1),
                                              (SOCIAL, SOCIAL_WORKER, "sociālā darbiniece", M2)):
        log.add("tilts.institution.contact_added", {"institution_id": institution, "contact_id": contact,
                                                    "name": "Ilze Kalniņa", "role": role}, actor="admin",
                role="admin", municipality=place)
    log.add("tilts.mediator.registered", {"mediator_id": MED, "display_name": "Marta Ozoliņa",
                                          "municipality_ids": [M1]}, actor="admin", role="admin", municipality="_")
    log.add("tilts.mediator.registered", {"mediator_id": MED2, "display_name": "Jānis Bērziņš",
                                          "municipality_ids": [M1, M2]}, actor="admin", role="admin", municipality="_")
    for family, place in ((FAM, M1), (FAM2, M2)):
        log.add("tilts.family.registered", {"family_id": family, "municipality_id": place,
                                            "consent": {"given_on": "2020-01-02", "scope": "mediācija"},
                                            "personal": sealed(family)}, municipality=place)
        log.add("tilts.person.added", {"family_id": family, "person_id": f"{family}-child", "relation": "child",
                                       "birth_year": 2012}, municipality=place)
    return log


def activity(activity_id: str, **data: Any) -> tuple[str, dict[str, Any]]:
    return "tilts.activity.recorded", {"activity_id": activity_id, "kind": "home_visit", "domain": "education",
                                       **data}


def cooperation(cooperation_id: str, institution: str = SCHOOL, contact: str = TEACHER,
                **data: Any) -> tuple[str, dict[str, Any]]:
    return "tilts.cooperation.recorded", {"cooperation_id": cooperation_id, "institution_id": institution,
                                          "contact_id": contact, "domain": "education", "channel": "meeting",
                                          "purpose": "kavējumu iemesli", **data}


def case_opened(case_id: str, family_id: str = FAM, domain: str = "education") -> tuple[str, dict[str, Any]]:
    return "tilts.case.opened", {"case_id": case_id, "family_id": family_id, "domain": domain,
                                 "need": "skolas apmeklējums"}
