"""The fan-out's pure part: what the log teaches it, and which subscriptions an event reaches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from shared.events.envelope import StoredEvent

from . import notices
from .notices import COOPERATION_ANSWERS, REFERRAL_ANSWERS, Notice, Party


@dataclass
class Learnt:
    """Row changes to the directory (names) and to cooperation and referral states."""

    institutions: list[tuple[str, str, str]] = field(default_factory=list)       # id, municipality, name
    contacts: list[tuple[str, str, str, str]] = field(default_factory=list)      # institution, id, name, role
    mediators: list[tuple[str, str]] = field(default_factory=list)               # id, display name
    # id, institution, contact, event, mediator, time: what an answer's notice names it by
    cooperations: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    # id, institution, event, mediator, time, service: likewise
    referrals: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    cooperation_answers: list[tuple[str, str, str]] = field(default_factory=list)  # id, answer, recorded time
    referral_answers: list[tuple[str, str]] = field(default_factory=list)        # id, status


def learn(events: Iterable[StoredEvent]) -> Learnt:
    """What a batch of events changes in the directory and in answer states, in log order."""
    learnt = Learnt()
    for event in events:
        data = event.data
        if event.type == "tilts.institution.registered":
            learnt.institutions.append((data["institution_id"], data["municipality_id"], data["name"]))
        elif event.type == "tilts.institution.contact_added":
            learnt.contacts.append((data["institution_id"], data["contact_id"], data["name"], data["role"]))
        elif event.type == "tilts.mediator.registered":
            learnt.mediators.append((data["mediator_id"], data["display_name"]))
        elif event.type == notices.COOPERATION_RECORDED:
            learnt.cooperations.append((data["cooperation_id"], data["institution_id"], data["contact_id"], event.id,
                                        event.actor, event.time))
        elif event.type == notices.REFERRAL_MADE:
            learnt.referrals.append((data["referral_id"], data["institution_id"], event.id, event.actor, event.time,
                                     data["service"]))
        elif event.type in COOPERATION_ANSWERS:
            learnt.cooperation_answers.append((data["cooperation_id"], COOPERATION_ANSWERS[event.type],
                                               event.recordedtime))
        elif event.type in REFERRAL_ANSWERS:
            learnt.referral_answers.append((data["referral_id"], REFERRAL_ANSWERS[event.type]))
    return learnt


def notifiable(events: Sequence[StoredEvent]) -> list[StoredEvent]:
    """The events an institution may be notified of."""
    return [e for e in events if e.type in notices.NOTIFIABLE_TYPES]


def subject_of(event: StoredEvent) -> tuple[str, str]:
    """("cooperation" | "referral", id) that the event is about."""
    if "cooperation_id" in event.data:
        return "cooperation", event.data["cooperation_id"]
    return "referral", event.data["referral_id"]


@dataclass(frozen=True, slots=True)
class SubscriptionInterest:
    """What the fan-out needs to know of a live subscription."""

    subscription_id: str
    institution_id: str
    channel: str
    origin: str
    event_types: frozenset[str]
    digest: str | None
    from_sequence: int

    def wants(self, event: StoredEvent) -> bool:
        """Subscribed to this type, and the event came after the subscription did."""
        return event.type in self.event_types and (event.sequence or 0) > self.from_sequence


@dataclass(frozen=True, slots=True)
class Names:
    """Institutions, contacts and mediators by id, as far as the log has told them."""

    institutions: Mapping[str, str]
    contacts: Mapping[tuple[str, str], tuple[str, str]]
    mediators: Mapping[str, str]

    def institution(self, institution_id: str) -> Party:
        return Party(institution_id, self.institutions.get(institution_id))

    def contact(self, institution_id: str, contact_id: str) -> Party:
        name, role = self.contacts.get((institution_id, contact_id), (None, None))
        return Party(contact_id, name, role)

    def mediator(self, mediator_id: str) -> Party:
        return Party(mediator_id, self.mediators.get(mediator_id))


@dataclass(frozen=True, slots=True)
class AnsweredCooperation:
    """The cooperation an answer answers, as its first notice named it (never a family)."""

    contact_id: str
    mediator_id: str | None   # None: learnt before the fan-out kept it
    time: str | None


@dataclass(frozen=True, slots=True)
class AnsweredReferral:
    """The referral an answer answers, as its first notice named it (never the case or family)."""

    mediator_id: str | None   # None: learnt before the fan-out kept it
    time: str | None
    service: str | None


def notice_for(event: StoredEvent, institution_id: str, names: Names,
               answered: AnsweredCooperation | AnsweredReferral | None) -> Notice:
    """The notice an event gives its institution (an answer names what it answers as its first
    notice did: when, which mediator, and the contact or the service, so the people told can
    tell which one it was)."""
    institution = names.institution(institution_id)
    if event.type == notices.COOPERATION_RECORDED:
        return notices.cooperation_recorded(event.id, event.time, event.data, names.mediator(event.actor),
                                            institution, names.contact(institution_id, event.data["contact_id"]))
    if event.type == notices.REFERRAL_MADE:
        return notices.referral_made(event.id, event.time, event.data, names.mediator(event.actor), institution)
    mediator = names.mediator(answered.mediator_id) if answered and answered.mediator_id else None
    if event.type in COOPERATION_ANSWERS:
        cooperation = answered if isinstance(answered, AnsweredCooperation) else None
        contact = names.contact(institution_id, event.data.get("contact_id")
                                or (cooperation.contact_id if cooperation else ""))
        return notices.cooperation_answered(event.id, event.type, event.time, event.data, institution, contact,
                                            mediator, cooperation.time if cooperation else None)
    referral = answered if isinstance(answered, AnsweredReferral) else None
    return notices.referral_answered(event.id, event.type, event.time, event.data, institution, mediator,
                                     referral.time if referral else None, referral.service if referral else None)
