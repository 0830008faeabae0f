"""What an institution is told about an event: a data-minimised notice.

A notice is built by naming the fields it may carry, never by copying an event and removing
what it must not: mediator, institution, contact, domain, channel, time, purpose, the
cooperation or referral id (and a referral's service). A family's personal data, its id and
the case id never reach a notice, whatever the event carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COOPERATION_RECORDED = "tilts.cooperation.recorded"
REFERRAL_MADE = "tilts.referral.made"
DEFAULT_EVENT_TYPES = (COOPERATION_RECORDED, REFERRAL_MADE)

COOPERATION_ANSWERS = {"tilts.cooperation.acknowledged": "acknowledged", "tilts.cooperation.disputed": "disputed"}
REFERRAL_ANSWERS = {"tilts.referral.accepted": "accepted", "tilts.referral.completed": "completed",
                    "tilts.referral.declined": "declined"}
# The types a subscription may ask for: what concerns one institution.
NOTIFIABLE_TYPES = (*DEFAULT_EVENT_TYPES, *COOPERATION_ANSWERS, *REFERRAL_ANSWERS)


@dataclass(frozen=True, slots=True)
class Party:
    """Someone named in a notice: an id and a name (and a contact's job title)."""

    id: str
    name: str | None = None
    role: str | None = None

    def as_json(self, name_key: str = "name") -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, name_key: self.name}
        if self.role is not None:
            body["role"] = self.role
        return body


@dataclass(frozen=True, slots=True)
class Notice:
    """The facts one event tells one institution."""

    event_id: str
    event_type: str
    institution_id: str
    facts: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.facts["kind"]

    @property
    def answerable(self) -> bool:
        """A new cooperation or referral: the notice carries how to answer it."""
        return self.event_type in DEFAULT_EVENT_TYPES


def _base(kind: str, event_type: str, time: str, institution: Party) -> dict[str, Any]:
    return {"kind": kind, "type": event_type, "time": time, "institution": institution.as_json()}


def cooperation_recorded(event_id: str, time: str, data: dict[str, Any], mediator: Party,
                         institution: Party, contact: Party) -> Notice:
    """A mediator cooperated with one of the institution's people."""
    facts = {**_base("cooperation", COOPERATION_RECORDED, time, institution),
             "cooperation_id": data["cooperation_id"], "mediator": mediator.as_json("display_name"),
             "contact": contact.as_json(), "domain": data["domain"], "channel": data["channel"],
             "purpose": data["purpose"]}
    return Notice(event_id, COOPERATION_RECORDED, institution.id, facts)


def referral_made(event_id: str, time: str, data: dict[str, Any], mediator: Party, institution: Party) -> Notice:
    """A mediator referred a case to the institution for a service (the case stays unnamed)."""
    facts = {**_base("referral", REFERRAL_MADE, time, institution), "referral_id": data["referral_id"],
             "mediator": mediator.as_json("display_name"), "service": data["service"]}
    return Notice(event_id, REFERRAL_MADE, institution.id, facts)


def cooperation_answered(event_id: str, event_type: str, time: str, data: dict[str, Any],
                         institution: Party, contact: Party, mediator: Party | None = None,
                         cooperation_time: str | None = None) -> Notice:
    """The institution acknowledged or disputed a cooperation (notes and reasons stay out), named
    as its first notice named it: when, which mediator, which contact."""
    facts = {**_base("cooperation", event_type, time, institution), "cooperation_id": data["cooperation_id"],
             "answer": COOPERATION_ANSWERS[event_type], "contact": contact.as_json()}
    if mediator is not None:
        facts["mediator"] = mediator.as_json("display_name")
    if cooperation_time is not None:
        facts["cooperation_time"] = cooperation_time
    return Notice(event_id, event_type, institution.id, facts)


def referral_answered(event_id: str, event_type: str, time: str, data: dict[str, Any],
                      institution: Party, mediator: Party | None = None, referral_time: str | None = None,
                      service: str | None = None) -> Notice:
    """The institution accepted, completed or declined a referral (notes and reasons stay out),
    named as its first notice named it: when, which mediator, for which service."""
    facts = {**_base("referral", event_type, time, institution), "referral_id": data["referral_id"],
             "status": REFERRAL_ANSWERS[event_type]}
    if mediator is not None:
        facts["mediator"] = mediator.as_json("display_name")
    if referral_time is not None:
        facts["referral_time"] = referral_time
    if service is not None:
        facts["service"] = service
    return Notice(event_id, event_type, institution.id, facts)
