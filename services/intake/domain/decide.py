"""The intake's decisions: may this event be appended to the log, and where?

`decide` is pure: it sees the caller, the event's data, the state of the aggregate it is
appended to and of the aggregates it refers to (all rebuilt from the log), and answers either a
Rejection or an Accepted naming the municipality the event belongs to. `references` says which
other aggregates a decision needs; it may depend on the target's state (an acknowledgement
needs the institution of the cooperation it acknowledges).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import singledispatch

from shared.auth.tokens import Principal
from shared.bus.subjects import NATIONAL
from shared.events.base import AggregateRef, EventData
from shared.events.case import CaseClosed, CaseOpened
from shared.events.evaluation import EvaluationSubmitted
from shared.events.family import ConsentWithdrawn, FamilyErased, FamilyRegistered, PersonAdded
from shared.events.institution import ContactAdded, InstitutionRegistered
from shared.events.mediator import MediatorRegistered
from shared.events.municipality import MunicipalityRegistered
from shared.events.report import ReportApproved, ReportReturned, ReportSubmitted
from shared.events.work import (ActivityRecorded, CooperationAcknowledged, CooperationDisputed,
                                CooperationRecorded, OutcomeRecorded, ReferralAccepted,
                                ReferralCompleted, ReferralDeclined, ReferralMade)
from shared.roles import Role

from .rejections import Rejection, forbidden, invalid, unknown, version_conflict, wrong_state
from .state import (AggregateState, Case, Cooperation, Family, Institution, Mediator, Referral,
                    Report)


@dataclass(frozen=True, slots=True)
class Command:
    """An event someone wants appended, with everything the decision may look at."""

    principal: Principal
    data: EventData
    target: AggregateState
    refs: Mapping[AggregateRef, AggregateState]
    expected_version: int | None = None

    def ref(self, type_: str, id_: str | None) -> AggregateState:
        key = AggregateRef(type_, id_ or "")
        return self.refs.get(key) or AggregateState(ref=key)


@dataclass(frozen=True, slots=True)
class Accepted:
    """The event may be appended; it belongs to this municipality."""

    municipality: str


Decision = Accepted | Rejection


def decide(command: Command) -> Decision:
    """Accept or reject one event against current state.

    A caller out of scope learns nothing more (403 comes first); otherwise a stale
    `expectedversion` is answered before other conflicts, since re-reading is the client's fix.
    """
    if outside := _outside_scope(command):
        return outside
    decision = _rule(command.data, command)
    if isinstance(decision, Rejection) and decision.status == 403:
        return decision
    if command.expected_version is not None and command.expected_version != command.target.version:
        return version_conflict(command.expected_version, command.target.version)
    return decision


def references(data: EventData, target: AggregateState, principal: Principal,
               loaded: Mapping[AggregateRef, AggregateState] | None = None) -> list[AggregateRef]:
    """The other aggregates whose state `decide` needs for this event.

    Some needs show only once others are loaded (a cooperation on a case needs the case's
    family), so callers load what this returns and ask again until nothing new is named.
    """
    refs = list(_refs(data, target))
    case_id = data.case_id if isinstance(data, (CooperationRecorded, ReferralMade)) else None
    if case_id and loaded:
        case = loaded.get(AggregateRef("case", case_id))
        if case is not None and isinstance(case.body, Case):
            refs.append(AggregateRef("family", case.body.family_id))
    if principal.role is Role.MEDIATOR:
        refs.append(AggregateRef("mediator", principal.subject))
    return [r for r in dict.fromkeys(refs) if r != target.ref and r.id]


# --- scope -----------------------------------------------------------------------------------


def _in_scope(command: Command, municipality: str) -> Rejection | None:
    """May the caller write in this municipality?"""
    principal = command.principal
    if principal.role is Role.ADMIN:
        return None
    if principal.role is Role.COORDINATOR:
        if municipality in principal.municipalities:
            return None
        return forbidden(f"a coordinator for {sorted(principal.municipalities)} may not write in {municipality}")
    if principal.role is Role.MEDIATOR:
        mediator = command.ref("mediator", principal.subject).body
        if not isinstance(mediator, Mediator):
            return forbidden(f"mediator {principal.subject} is not registered")
        if municipality not in mediator.municipalities:
            return forbidden(f"mediator {principal.subject} is not registered for {municipality}")
        if principal.municipalities and municipality not in principal.municipalities:
            return forbidden(f"this token is limited to {', '.join(sorted(principal.municipalities))}: "
                             f"it may not write in {municipality}")
        return None
    return forbidden(f"the {principal.role} role may not write in a municipality")


_PLACED = frozenset({"family", "case"})  # aggregates that live in one municipality's work


def _outside_scope(command: Command) -> Rejection | None:
    """A mediator or coordinator touching another municipality's family or case: 403 at once.

    Checked before any rule, so the answer says nothing of that family's or case's state (that
    it is closed, erased, or already has this activity), nor where it lives.
    """
    if command.principal.role not in (Role.MEDIATOR, Role.COORDINATOR):
        return None
    for state in (command.target, *command.refs.values()):
        if state.ref.type in _PLACED and state.exists and state.municipality \
                and _in_scope(command, state.municipality) is not None:
            return forbidden(f"{state.ref.type} {state.ref.id} is outside the municipalities you may write in")
    return None


def _own_institution(command: Command, institution_id: str) -> Rejection | None:
    if command.principal.role is Role.ADMIN or command.principal.institution == institution_id:
        return None
    return forbidden("an institution may act only on its own records")


def _must_be_new(command: Command, what: str) -> Rejection | None:
    if command.target.exists:
        return wrong_state(f"{what} {command.target.ref.id} already exists", field=f"data.{command.target.ref.type}_id")
    return None


def _live_family(command: Command, family_id: str, field: str) -> Family | Rejection:
    family = command.ref("family", family_id).body
    if not isinstance(family, Family):
        return unknown(field, f"no family {family_id}")
    if family.erased:
        return wrong_state(f"family {family_id} was erased", field=field)
    if family.consent_withdrawn:
        return wrong_state(f"family {family_id} withdrew consent: nothing new may be recorded", field=field)
    return family


def _persons_of(family: Family, person_ids: Iterable[str]) -> Rejection | None:
    strangers = sorted(set(person_ids) - family.persons)
    if strangers:
        return unknown("data.person_ids", f"not members of the family: {', '.join(strangers)}")
    return None


def _accept(command: Command, municipality: str) -> Decision:
    return _in_scope(command, municipality) or Accepted(municipality)


def _first(*checks: Rejection | None) -> Rejection | None:
    return next((c for c in checks if c is not None), None)


# --- references per event type ---------------------------------------------------------------


@singledispatch
def _refs(data: EventData, target: AggregateState) -> Iterable[AggregateRef]:
    return ()


@_refs.register
def _(data: InstitutionRegistered, target: AggregateState) -> Iterable[AggregateRef]:
    return [AggregateRef("municipality", data.municipality_id)]


@_refs.register
def _(data: MediatorRegistered, target: AggregateState) -> Iterable[AggregateRef]:
    return [AggregateRef("municipality", m) for m in data.municipality_ids]


@_refs.register
def _(data: FamilyRegistered, target: AggregateState) -> Iterable[AggregateRef]:
    return [AggregateRef("municipality", data.municipality_id)]


@_refs.register
def _(data: CaseOpened, target: AggregateState) -> Iterable[AggregateRef]:
    return [AggregateRef("family", data.family_id)]


def _case_family(target: AggregateState) -> list[AggregateRef]:
    return [AggregateRef("family", target.body.family_id)] if isinstance(target.body, Case) else []


@_refs.register
def _(data: ActivityRecorded, target: AggregateState) -> Iterable[AggregateRef]:
    refs = _case_family(target)
    if data.family_id:
        refs.append(AggregateRef("family", data.family_id))
    if data.municipality_id:
        refs.append(AggregateRef("municipality", data.municipality_id))
    return refs


@_refs.register
def _(data: OutcomeRecorded, target: AggregateState) -> Iterable[AggregateRef]:
    return _case_family(target)


@_refs.register
def _(data: CooperationRecorded, target: AggregateState) -> Iterable[AggregateRef]:
    refs = [AggregateRef("institution", data.institution_id)]
    if data.case_id:
        refs.append(AggregateRef("case", data.case_id))
    if data.family_id:
        refs.append(AggregateRef("family", data.family_id))
    if data.municipality_id:
        refs.append(AggregateRef("municipality", data.municipality_id))
    return refs


def _cooperation_institution(target: AggregateState) -> list[AggregateRef]:
    body = target.body
    return [AggregateRef("institution", body.institution_id)] if isinstance(body, Cooperation) else []


@_refs.register
def _(data: CooperationAcknowledged, target: AggregateState) -> Iterable[AggregateRef]:
    return _cooperation_institution(target)


@_refs.register
def _(data: CooperationDisputed, target: AggregateState) -> Iterable[AggregateRef]:
    return _cooperation_institution(target)


@_refs.register
def _(data: ReferralMade, target: AggregateState) -> Iterable[AggregateRef]:
    return [AggregateRef("case", data.case_id), AggregateRef("institution", data.institution_id)]


def _report_mediator(target: AggregateState) -> list[AggregateRef]:
    body = target.body
    return [AggregateRef("mediator", body.mediator_id)] if isinstance(body, Report) else []


@_refs.register
def _(data: ReportApproved, target: AggregateState) -> Iterable[AggregateRef]:
    return _report_mediator(target)


@_refs.register
def _(data: ReportReturned, target: AggregateState) -> Iterable[AggregateRef]:
    return _report_mediator(target)


@_refs.register
def _(data: EvaluationSubmitted, target: AggregateState) -> Iterable[AggregateRef]:
    return [AggregateRef("institution", data.institution_id), AggregateRef("mediator", data.mediator_id)]


# --- decisions per event type ----------------------------------------------------------------


@singledispatch
def _rule(data: EventData, command: Command) -> Decision:
    raise TypeError(f"no decision rule for {type(data).__name__}")


@_rule.register
def _(data: MunicipalityRegistered, c: Command) -> Decision:
    return _must_be_new(c, "municipality") or Accepted(data.municipality_id)


@_rule.register
def _(data: InstitutionRegistered, c: Command) -> Decision:
    if not c.ref("municipality", data.municipality_id).exists:
        return unknown("data.municipality_id", f"no municipality {data.municipality_id}")
    return _must_be_new(c, "institution") or _accept(c, data.municipality_id)


@_rule.register
def _(data: ContactAdded, c: Command) -> Decision:
    institution = c.target.body
    if not isinstance(institution, Institution):
        return unknown("data.institution_id", f"no institution {data.institution_id}")
    if c.principal.role is Role.INSTITUTION:
        rejection = _own_institution(c, data.institution_id)
        if rejection:
            return rejection
    elif rejection := _in_scope(c, institution.municipality_id):
        return rejection
    if data.contact_id in institution.contacts:
        return wrong_state(f"contact {data.contact_id} is already registered", field="data.contact_id")
    return Accepted(institution.municipality_id)


@_rule.register
def _(data: MediatorRegistered, c: Command) -> Decision:
    missing = [m for m in data.municipality_ids if not c.ref("municipality", m).exists]
    if missing:
        return unknown("data.municipality_ids", f"no municipality {', '.join(missing)}")
    if c.principal.role is Role.COORDINATOR:
        previous = c.target.body.municipalities if isinstance(c.target.body, Mediator) else frozenset()
        outside = sorted((set(data.municipality_ids) | previous) - c.principal.municipalities)
        if outside:
            return forbidden(f"a coordinator may not register a mediator in {', '.join(outside)}")
    return Accepted(NATIONAL)


@_rule.register
def _(data: FamilyRegistered, c: Command) -> Decision:
    if not c.ref("municipality", data.municipality_id).exists:
        return unknown("data.municipality_id", f"no municipality {data.municipality_id}")
    return _must_be_new(c, "family") or _accept(c, data.municipality_id)


@_rule.register
def _(data: PersonAdded, c: Command) -> Decision:
    family = _family_target(c)
    if isinstance(family, Rejection):
        return family
    if family.consent_withdrawn:
        return wrong_state(f"family {data.family_id} withdrew consent: nothing new may be recorded",
                           field="data.family_id")
    if data.person_id in family.persons:
        return wrong_state(f"person {data.person_id} is already in the family", field="data.person_id")
    return _accept(c, family.municipality_id)


def _family_target(c: Command) -> Family | Rejection:
    family = c.target.body
    if not isinstance(family, Family):
        return unknown("data.family_id", f"no family {c.target.ref.id}")
    if family.erased:
        return wrong_state(f"family {c.target.ref.id} was erased", field="data.family_id")
    return family


@_rule.register
def _(data: ConsentWithdrawn, c: Command) -> Decision:
    family = _family_target(c)
    if isinstance(family, Rejection):
        return family
    if family.consent_withdrawn:
        return wrong_state("consent was already withdrawn")
    return _accept(c, family.municipality_id)


@_rule.register
def _(data: FamilyErased, c: Command) -> Decision:
    family = _family_target(c)
    if isinstance(family, Rejection):
        return family
    return _accept(c, family.municipality_id)


@_rule.register
def _(data: CaseOpened, c: Command) -> Decision:
    family = _live_family(c, data.family_id, "data.family_id")
    if isinstance(family, Rejection):
        return family
    return _must_be_new(c, "case") or _accept(c, family.municipality_id)


def _open_case(c: Command, field: str = "data.case_id") -> Case | Rejection:
    case = c.target.body
    if not isinstance(case, Case):
        return unknown(field, f"no case {c.target.ref.id}")
    return case


@_rule.register
def _(data: CaseClosed, c: Command) -> Decision:
    case = _open_case(c)
    if isinstance(case, Rejection):
        return case
    if not case.open:
        return wrong_state(f"case {data.case_id} is already closed", field="data.case_id")
    return _accept(c, c.target.municipality or "")


@_rule.register
def _(data: ActivityRecorded, c: Command) -> Decision:
    if data.case_id:
        return _activity_on_case(data, c)
    if c.target.exists:
        return wrong_state(f"activity {data.activity_id} already exists", field="data.activity_id")
    if data.family_id:
        family = _live_family(c, data.family_id, "data.family_id")
        if isinstance(family, Rejection):
            return family
        if data.municipality_id and data.municipality_id != family.municipality_id:
            return invalid("data.municipality_id", "the family lives in another municipality")
        return _persons_of(family, data.person_ids) or _accept(c, family.municipality_id)
    if data.person_ids:
        return invalid("data.person_ids", "persons can be named only with their family_id or case_id")
    return _where_mediator_works(c, data.municipality_id)


def _activity_on_case(data: ActivityRecorded, c: Command) -> Decision:
    case = _open_case(c)
    if isinstance(case, Rejection):
        return case
    if not case.open:
        return wrong_state(f"case {data.case_id} is closed: it takes no new activity", field="data.case_id")
    if data.activity_id in case.activities:
        return wrong_state(f"activity {data.activity_id} already exists", field="data.activity_id")
    if data.family_id and data.family_id != case.family_id:
        return invalid("data.family_id", f"case {data.case_id} belongs to another family")
    family = _live_family(c, case.family_id, "data.case_id")
    if isinstance(family, Rejection):
        return family
    if data.municipality_id and data.municipality_id != family.municipality_id:
        return invalid("data.municipality_id", "the family lives in another municipality")
    return _persons_of(family, data.person_ids) or _accept(c, c.target.municipality or "")


def _where_mediator_works(c: Command, municipality_id: str | None,
                          fallback: str | None = None) -> Decision:
    """Place work that names no family: the given municipality, else `fallback` (the cooperating
    institution's) if the mediator works there, else the mediator's home municipality.

    `municipality_id` is optional (the contract's catalogue does not have it), so a client that
    knows only the contract can always record such work; one that knows better says where.
    """
    if municipality_id:
        if not c.ref("municipality", municipality_id).exists:
            return unknown("data.municipality_id", f"no municipality {municipality_id}")
        return _accept(c, municipality_id)
    mediator = c.ref("mediator", c.principal.subject).body
    if not isinstance(mediator, Mediator):
        return forbidden(f"mediator {c.principal.subject} is not registered")
    allowed = mediator.municipalities & c.principal.municipalities if c.principal.municipalities \
        else mediator.municipalities
    if fallback and fallback in allowed:
        return _accept(c, fallback)
    if mediator.home in allowed or not allowed:
        return _accept(c, mediator.home)  # nothing allowed: _accept answers 403
    return _accept(c, min(allowed))  # the token is narrowed away from home: the first it allows


@_rule.register
def _(data: OutcomeRecorded, c: Command) -> Decision:
    # A closed case still takes outcomes: a child enrolled or a benefit granted is often known
    # only after the mediator closed the case (activities and referrals, new work, are refused).
    case = _open_case(c)
    if isinstance(case, Rejection):
        return case
    if data.outcome_id in case.outcomes:
        return wrong_state(f"outcome {data.outcome_id} already exists", field="data.outcome_id")
    family = c.ref("family", case.family_id).body
    if isinstance(family, Family):
        if family.erased or family.consent_withdrawn:
            return _live_family(c, case.family_id, "data.case_id")  # the same refusal as for new work
        if rejection := _persons_of(family, data.person_ids):
            return rejection
    return _accept(c, c.target.municipality or "")


@_rule.register
def _(data: CooperationRecorded, c: Command) -> Decision:
    if c.target.exists:
        return wrong_state(f"cooperation {data.cooperation_id} already exists", field="data.cooperation_id")
    institution = c.ref("institution", data.institution_id).body
    if not isinstance(institution, Institution):
        return unknown("data.institution_id", f"no institution {data.institution_id}")
    if data.contact_id not in institution.contacts:
        return unknown("data.contact_id", f"{data.contact_id} is not a contact of {data.institution_id}")
    family_id = data.family_id
    if data.case_id:
        case = c.ref("case", data.case_id).body
        if not isinstance(case, Case):
            return unknown("data.case_id", f"no case {data.case_id}")
        if family_id and family_id != case.family_id:
            return invalid("data.family_id", f"case {data.case_id} belongs to another family")
        family_id = case.family_id
    if family_id:
        family = _live_family(c, family_id, "data.family_id")
        if isinstance(family, Rejection):
            return family
        if data.municipality_id and data.municipality_id != family.municipality_id:
            return invalid("data.municipality_id", "the family lives in another municipality")
        return _accept(c, family.municipality_id)
    return _where_mediator_works(c, data.municipality_id, fallback=institution.municipality_id)


def _answer_cooperation(c: Command, contact_id: str) -> Decision:
    cooperation = c.target.body
    if not isinstance(cooperation, Cooperation):
        return unknown("data.cooperation_id", f"no cooperation {c.target.ref.id}")
    if rejection := _own_institution(c, cooperation.institution_id):
        return rejection
    institution = c.ref("institution", cooperation.institution_id).body
    if not isinstance(institution, Institution) or contact_id not in institution.contacts:
        return unknown("data.contact_id", f"{contact_id} is not a contact of {cooperation.institution_id}")
    if cooperation.answer:
        return wrong_state(f"the cooperation was already {cooperation.answer}")
    return Accepted(c.target.municipality or "")


@_rule.register
def _(data: CooperationAcknowledged, c: Command) -> Decision:
    return _answer_cooperation(c, data.contact_id)


@_rule.register
def _(data: CooperationDisputed, c: Command) -> Decision:
    return _answer_cooperation(c, data.contact_id)


@_rule.register
def _(data: ReferralMade, c: Command) -> Decision:
    if c.target.exists:
        return wrong_state(f"referral {data.referral_id} already exists", field="data.referral_id")
    case_state = c.ref("case", data.case_id)
    if not isinstance(case_state.body, Case):
        return unknown("data.case_id", f"no case {data.case_id}")
    if not case_state.body.open:
        return wrong_state(f"case {data.case_id} is closed", field="data.case_id")
    family = _live_family(c, case_state.body.family_id, "data.case_id")
    if isinstance(family, Rejection):
        return family
    if not isinstance(c.ref("institution", data.institution_id).body, Institution):
        return unknown("data.institution_id", f"no institution {data.institution_id}")
    return _accept(c, case_state.municipality or "")


_REFERRAL_MOVES = {"accepted": {"made"}, "declined": {"made", "accepted"}, "completed": {"accepted"}}


def _answer_referral(c: Command, to: str) -> Decision:
    referral = c.target.body
    if not isinstance(referral, Referral):
        return unknown("data.referral_id", f"no referral {c.target.ref.id}")
    if rejection := _own_institution(c, referral.institution_id):
        return rejection
    if referral.status not in _REFERRAL_MOVES[to]:
        return wrong_state(f"a referral that is {referral.status} cannot be {to}")
    return Accepted(c.target.municipality or "")


@_rule.register
def _(data: ReferralAccepted, c: Command) -> Decision:
    return _answer_referral(c, "accepted")


@_rule.register
def _(data: ReferralCompleted, c: Command) -> Decision:
    return _answer_referral(c, "completed")


@_rule.register
def _(data: ReferralDeclined, c: Command) -> Decision:
    return _answer_referral(c, "declined")


@_rule.register
def _(data: ReportSubmitted, c: Command) -> Decision:
    if not isinstance(c.ref("mediator", c.principal.subject).body, Mediator):
        return forbidden(f"mediator {c.principal.subject} is not registered")
    report = c.target.body
    if isinstance(report, Report):
        if report.mediator_id != c.principal.subject or report.month != data.month:
            return wrong_state(f"report {data.report_id} belongs to another mediator or month",
                               field="data.report_id")
        if report.status != "returned":
            return wrong_state(f"report {data.report_id} is {report.status}; only a returned report is resubmitted")
    return Accepted(NATIONAL)


def _review_report(c: Command) -> Decision:
    report = c.target.body
    if not isinstance(report, Report):
        return unknown("data.report_id", f"no report {c.target.ref.id}")
    if c.principal.role is Role.COORDINATOR:
        # Reviewed where its mediator was registered when it was submitted: a mediator since
        # registered elsewhere does not take the month's report along to the new coordinator.
        mediator = c.ref("mediator", report.mediator_id).body
        municipalities = (mediator.municipalities_at(report.submitted_sequence) if isinstance(mediator, Mediator)
                          else frozenset())
        if not municipalities & c.principal.municipalities:
            return forbidden("the report was submitted while its mediator worked outside the coordinator's "
                             "municipalities")
    if report.status != "submitted":
        return wrong_state(f"report {c.target.ref.id} is {report.status}, not submitted")
    return Accepted(NATIONAL)


@_rule.register
def _(data: ReportApproved, c: Command) -> Decision:
    return _review_report(c)


@_rule.register
def _(data: ReportReturned, c: Command) -> Decision:
    return _review_report(c)


@_rule.register
def _(data: EvaluationSubmitted, c: Command) -> Decision:
    if rejection := _own_institution(c, data.institution_id):
        return rejection
    if c.target.exists:
        return wrong_state(f"evaluation {data.evaluation_id} already exists", field="data.evaluation_id")
    institution = c.ref("institution", data.institution_id).body
    if not isinstance(institution, Institution):
        return unknown("data.institution_id", f"no institution {data.institution_id}")
    if data.contact_id not in institution.contacts:
        return unknown("data.contact_id", f"{data.contact_id} is not a contact of {data.institution_id}")
    if not isinstance(c.ref("mediator", data.mediator_id).body, Mediator):
        return unknown("data.mediator_id", f"no mediator {data.mediator_id}")
    return Accepted(institution.municipality_id)
