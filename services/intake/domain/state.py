"""Aggregate state as the intake sees it, rebuilt from the log by `evolve`.

Each aggregate's state holds only what decisions need (existence, status, scope, member ids)
plus the bookkeeping of its stream: version, last sequence, last hash and the ids of the
events already applied, so a re-sent event is recognised from the log itself however late.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import singledispatch
from types import MappingProxyType
from typing import Mapping

from shared.events import catalogue
from shared.events.base import AggregateRef, EventData
from shared.events.case import CaseClosed, CaseOpened
from shared.events.envelope import GENESIS_HASH, StoredEvent
from shared.events.evaluation import EvaluationSubmitted
from shared.events.family import ConsentWithdrawn, FamilyErased, FamilyRegistered, PersonAdded
from shared.events.institution import ContactAdded, InstitutionRegistered
from shared.events.mediator import MediatorRegistered
from shared.events.municipality import MunicipalityRegistered
from shared.events.report import ReportApproved, ReportReturned, ReportSubmitted
from shared.events.work import (ActivityRecorded, CooperationAcknowledged, CooperationDisputed,
                                CooperationRecorded, OutcomeRecorded, ReferralAccepted,
                                ReferralCompleted, ReferralDeclined, ReferralMade)


@dataclass(frozen=True, slots=True)
class Municipality:
    name: str


@dataclass(frozen=True, slots=True)
class Institution:
    municipality_id: str
    contacts: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Mediator:
    municipalities: frozenset[str]
    home: str = ""  # the registration's first municipality: where work that names no place goes
    # Every registration as (sequence, municipalities), oldest first: a mediator registered again
    # elsewhere leaves the reports written before with the coordinators of where they were.
    registrations: tuple[tuple[int, frozenset[str]], ...] = ()

    def municipalities_at(self, sequence: int) -> frozenset[str]:
        """The municipalities of the registration in force at `sequence`."""
        held = self.registrations[0][1] if self.registrations else self.municipalities
        for since, municipalities in self.registrations:
            if since > sequence:
                break
            held = municipalities
        return held


@dataclass(frozen=True, slots=True)
class Family:
    municipality_id: str
    persons: frozenset[str] = frozenset()
    consent_withdrawn: bool = False
    erased: bool = False


@dataclass(frozen=True, slots=True)
class Case:
    family_id: str
    open: bool = True
    activities: frozenset[str] = frozenset()
    outcomes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Activity:
    pass


@dataclass(frozen=True, slots=True)
class Cooperation:
    institution_id: str
    answer: str | None = None  # "acknowledged" | "disputed"


@dataclass(frozen=True, slots=True)
class Referral:
    institution_id: str
    case_id: str
    status: str = "made"  # made -> accepted -> completed; made/accepted -> declined


@dataclass(frozen=True, slots=True)
class Report:
    mediator_id: str
    month: str
    status: str = "submitted"  # submitted -> approved | returned; returned -> submitted
    submitted_sequence: int = 0  # of the latest submission: whose coordinators review it


@dataclass(frozen=True, slots=True)
class Evaluation:
    institution_id: str


Body = (Municipality | Institution | Mediator | Family | Case | Activity | Cooperation | Referral
        | Report | Evaluation)


@dataclass(frozen=True, slots=True)
class Applied:
    """An event already in the aggregate's stream: what a re-send is compared with."""

    sequence: int
    version: int
    fingerprint: str
    actor: str  # the same event has the same author: another token re-sending the id is refused


@dataclass(frozen=True, slots=True)
class AggregateState:
    """One aggregate: its domain body (None until created) and its stream bookkeeping."""

    ref: AggregateRef
    subject: str | None = None
    municipality: str | None = None
    body: Body | None = None
    version: int = 0
    last_sequence: int = 0
    last_hash: str = GENESIS_HASH
    applied: Mapping[str, Applied] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def exists(self) -> bool:
        return self.body is not None


def apply_stored(state: AggregateState, event: StoredEvent, subject: str,
                 data: EventData | None = None) -> AggregateState:
    """Fold one stored event (with its sequence) into the aggregate's state.

    `data` may be given when the caller already holds the event's parsed data (it just
    decided on it), saving a second validation.
    """
    if data is None:
        data = catalogue.parse_stored_data(event.type, event.data, event.schemaversion)
    applied = dict(state.applied)
    applied[event.id] = Applied(event.sequence or 0, event.version, event.fingerprint, event.actor)
    return replace(state, subject=subject, municipality=event.municipalityid,
                   body=evolve(state.body, data, event.actor, event.sequence or 0), version=event.version,
                   last_sequence=event.sequence or 0, last_hash=event.hash,
                   applied=MappingProxyType(applied))


def evolve(body: Body | None, data: EventData, actor: str, sequence: int = 0) -> Body | None:
    """The domain body after one event (pure); `actor` is the event's author, `sequence` its place
    in the log."""
    return _rule(data, body, actor, sequence)


@singledispatch
def _rule(data: EventData, body: Body | None, actor: str, sequence: int) -> Body | None:
    raise TypeError(f"no evolve rule for {type(data).__name__}")


@_rule.register
def _(data: MunicipalityRegistered, body: None, actor: str, sequence: int) -> Body:
    return Municipality(name=data.name)


@_rule.register
def _(data: InstitutionRegistered, body: object, actor: str, sequence: int) -> Body:
    return Institution(municipality_id=data.municipality_id)


@_rule.register
def _(data: ContactAdded, body: Institution, actor: str, sequence: int) -> Body:
    return replace(body, contacts=body.contacts | {data.contact_id})


@_rule.register
def _(data: MediatorRegistered, body: object, actor: str, sequence: int) -> Body:
    municipalities = frozenset(data.municipality_ids)
    earlier = body.registrations if isinstance(body, Mediator) else ()
    return Mediator(municipalities=municipalities, home=data.municipality_ids[0],
                    registrations=(*earlier, (sequence, municipalities)))


@_rule.register
def _(data: FamilyRegistered, body: object, actor: str, sequence: int) -> Body:
    return Family(municipality_id=data.municipality_id)


@_rule.register
def _(data: PersonAdded, body: Family, actor: str, sequence: int) -> Body:
    return replace(body, persons=body.persons | {data.person_id})


@_rule.register
def _(data: ConsentWithdrawn, body: Family, actor: str, sequence: int) -> Body:
    return replace(body, consent_withdrawn=True)


@_rule.register
def _(data: FamilyErased, body: Family, actor: str, sequence: int) -> Body:
    return replace(body, erased=True)


@_rule.register
def _(data: CaseOpened, body: object, actor: str, sequence: int) -> Body:
    return Case(family_id=data.family_id)


@_rule.register
def _(data: CaseClosed, body: Case, actor: str, sequence: int) -> Body:
    return replace(body, open=False)


@_rule.register
def _(data: ActivityRecorded, body: Case | None, actor: str, sequence: int) -> Body:
    if isinstance(body, Case):
        return replace(body, activities=body.activities | {data.activity_id})
    return Activity()


@_rule.register
def _(data: OutcomeRecorded, body: Case, actor: str, sequence: int) -> Body:
    return replace(body, outcomes=body.outcomes | {data.outcome_id})


@_rule.register
def _(data: CooperationRecorded, body: object, actor: str, sequence: int) -> Body:
    return Cooperation(institution_id=data.institution_id)


@_rule.register
def _(data: CooperationAcknowledged, body: Cooperation, actor: str, sequence: int) -> Body:
    return replace(body, answer="acknowledged")


@_rule.register
def _(data: CooperationDisputed, body: Cooperation, actor: str, sequence: int) -> Body:
    return replace(body, answer="disputed")


@_rule.register
def _(data: ReferralMade, body: object, actor: str, sequence: int) -> Body:
    return Referral(institution_id=data.institution_id, case_id=data.case_id)


@_rule.register
def _(data: ReferralAccepted, body: Referral, actor: str, sequence: int) -> Body:
    return replace(body, status="accepted")


@_rule.register
def _(data: ReferralCompleted, body: Referral, actor: str, sequence: int) -> Body:
    return replace(body, status="completed")


@_rule.register
def _(data: ReferralDeclined, body: Referral, actor: str, sequence: int) -> Body:
    return replace(body, status="declined")


@_rule.register
def _(data: ReportSubmitted, body: object, actor: str, sequence: int) -> Body:
    return Report(mediator_id=actor, month=data.month, submitted_sequence=sequence)


@_rule.register
def _(data: ReportApproved, body: Report, actor: str, sequence: int) -> Body:
    return replace(body, status="approved")


@_rule.register
def _(data: ReportReturned, body: Report, actor: str, sequence: int) -> Body:
    return replace(body, status="returned")


@_rule.register
def _(data: EvaluationSubmitted, body: object, actor: str, sequence: int) -> Body:
    return Evaluation(institution_id=data.institution_id)
