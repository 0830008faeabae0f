"""Given these events -> when this event -> then accepted or rejected: the intake's decisions.

`given` folds a history of (type, data[, actor]) into aggregate states exactly as the intake
does from the log (`apply_stored` over hand-made StoredEvents), and `when` asks `decide` about
one more event, loading references the way the application does (ask, load, ask again).

Histories are written with the small builders below (`municipality("m1")`, `case("c1", "f1")`,
...) on top of a standard `WORLD`; no servers and no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.auth.tokens import Principal
from shared.bus.subjects import NATIONAL, Subjects
from shared.canonical import canonical_json, sha256_hex
from shared.events import catalogue
from shared.events.base import AggregateRef, EventData
from shared.events.envelope import StoredEvent
from shared.roles import Role

from services.intake.domain.decide import Accepted, Command, Decision, decide, references
from services.intake.domain.rejections import Rejection
from services.intake.domain.state import AggregateState, apply_stored

from examples import sealed

States = dict[AggregateRef, AggregateState]
Event = tuple[str, dict[str, Any]]  # (type, posted data)

SUBJECTS = Subjects("tilts.ev")

# --- principals -------------------------------------------------------------------------------

ADMIN = Principal(Role.ADMIN, "admin-1")
AUDITOR = Principal(Role.AUDITOR, "auditor-1")


def coordinator(*municipalities: str, subject: str = "coord-1") -> Principal:
    return Principal(Role.COORDINATOR, subject, municipalities=frozenset(municipalities))


def mediator(subject: str, *token_municipalities: str) -> Principal:
    """A mediator's token; `token_municipalities` narrows it further than the registration."""
    return Principal(Role.MEDIATOR, subject, municipalities=frozenset(token_municipalities))


def institution(institution_id: str, subject: str = "contact-person") -> Principal:
    return Principal(Role.INSTITUTION, subject, institution=institution_id)


# --- event builders: the required fields, plus any optional ones given ------------------------


def _data(required: dict[str, Any], optional: dict[str, Any]) -> dict[str, Any]:
    return {**required, **{k: v for k, v in optional.items() if v is not None}}


def municipality(municipality_id: str, name: str = "Jelgavas valstspilsēta") -> Event:
    return "tilts.municipality.registered", {"municipality_id": municipality_id, "name": name}


def institution_registered(institution_id: str, municipality_id: str, kind: str = "school") -> Event:
    return "tilts.institution.registered", {
        "institution_id": institution_id, "municipality_id": municipality_id,
        "name": "Jelgavas Ozolu pamatskola", "kind": kind, "domains": ["education"]}


def contact(institution_id: str, contact_id: str) -> Event:
    return "tilts.institution.contact_added", {
        "institution_id": institution_id, "contact_id": contact_id, "name": "Ilze Bērziņa",
        "role": "sociālā pedagoģe"}


def mediator_registered(mediator_id: str, *municipality_ids: str) -> Event:
    return "tilts.mediator.registered", {
        "mediator_id": mediator_id, "display_name": "Aivars Kalējs",
        "municipality_ids": list(municipality_ids)}


def family(family_id: str, municipality_id: str, *, personal: bool = False) -> Event:
    data: dict[str, Any] = {"family_id": family_id, "municipality_id": municipality_id,
                            "consent": {"given_on": "2019-09-03", "scope": "Darba uzskaite"}}
    if personal:
        data["personal"] = {"surname": "Ozoliņi", "phone": "+371 20 000 000"}
    return "tilts.family.registered", data


def person(family_id: str, person_id: str, relation: str = "child") -> Event:
    return "tilts.person.added", {"family_id": family_id, "person_id": person_id,
                                  "relation": relation, "birth_year": 2012}


def consent_withdrawn(family_id: str) -> Event:
    return "tilts.family.consent_withdrawn", {"family_id": family_id}


def erased(family_id: str) -> Event:
    return "tilts.family.erased", {"family_id": family_id, "reason": "Ģimenes pieprasījums"}


def case(case_id: str, family_id: str, domain: str = "education") -> Event:
    return "tilts.case.opened", {"case_id": case_id, "family_id": family_id, "domain": domain,
                                 "need": "Neattaisnoti kavējumi skolā"}


def case_closed(case_id: str, resolution: str = "resolved") -> Event:
    return "tilts.case.closed", {"case_id": case_id, "resolution": resolution}


def activity(activity_id: str, *, family_id: str | None = None, case_id: str | None = None,
             person_ids: Iterable[str] | None = None, municipality_id: str | None = None) -> Event:
    return "tilts.activity.recorded", _data(
        {"activity_id": activity_id, "kind": "home_visit", "domain": "education"},
        {"family_id": family_id, "case_id": case_id, "municipality_id": municipality_id,
         "person_ids": list(person_ids) if person_ids is not None else None})


def cooperation(cooperation_id: str, institution_id: str, contact_id: str, *,
                family_id: str | None = None, case_id: str | None = None,
                municipality_id: str | None = None) -> Event:
    return "tilts.cooperation.recorded", _data(
        {"cooperation_id": cooperation_id, "institution_id": institution_id,
         "contact_id": contact_id, "domain": "education", "channel": "meeting",
         "purpose": "kavējumu iemesli"},
        {"family_id": family_id, "case_id": case_id, "municipality_id": municipality_id})


def acknowledged(cooperation_id: str, contact_id: str) -> Event:
    return "tilts.cooperation.acknowledged", {"cooperation_id": cooperation_id,
                                              "contact_id": contact_id}


def disputed(cooperation_id: str, contact_id: str) -> Event:
    return "tilts.cooperation.disputed", {"cooperation_id": cooperation_id,
                                          "contact_id": contact_id, "reason": "Nenotika"}


def referral(referral_id: str, case_id: str, institution_id: str) -> Event:
    return "tilts.referral.made", {"referral_id": referral_id, "case_id": case_id,
                                   "institution_id": institution_id,
                                   "service": "Trūcīgas ģimenes statusa izvērtēšana"}


def referral_answer(answer: str, referral_id: str) -> Event:
    """answer: accepted | completed | declined."""
    return f"tilts.referral.{answer}", {"referral_id": referral_id}


def outcome(outcome_id: str, case_id: str, person_ids: Iterable[str] = ()) -> Event:
    return "tilts.outcome.recorded", _data(
        {"outcome_id": outcome_id, "case_id": case_id, "kind": "attendance_improved"},
        {"person_ids": list(person_ids) or None})


def report(report_id: str, month: str = "2019-10") -> Event:
    return "tilts.report.submitted", {"report_id": report_id, "month": month, "narrative": {
        "main_issues": "Skolas kavējumi.", "glad_about": "Divi bērni atsāka iet skolā.",
        "challenges": "Ģimenes bieži maina dzīvesvietu.", "next_priorities": "Pirmsskola."}}


def report_review(verdict: str, report_id: str) -> Event:
    """verdict: approved | returned."""
    return f"tilts.report.{verdict}", {"report_id": report_id}


def evaluation(evaluation_id: str, institution_id: str, contact_id: str, mediator_id: str) -> Event:
    return "tilts.evaluation.submitted", {
        "evaluation_id": evaluation_id, "institution_id": institution_id,
        "contact_id": contact_id, "mediator_id": mediator_id, "domain": "education",
        "answers": {"improved_communication": "yes", "identified_needs": "yes",
                    "improved_access": "partly", "coordinated_actions": "yes",
                    "joint_planning": "no", "key_achievements": "Bērni apmeklē skolu.",
                    "keep_in_view": "Attālinātās mācības."}}


def by(actor: str, event: Event) -> tuple[str, dict[str, Any], str]:
    """An event of the history posted by `actor` (default: admin-1)."""
    return (*event, actor)


# --- a standard world ------------------------------------------------------------------------

M1, M2, M3 = "jelgava", "ozolnieki", "valmiera"
SCHOOL, SCHOOL_CONTACT = "inst-school", "contact-teacher"
CLINIC, CLINIC_CONTACT = "inst-clinic", "contact-nurse"     # in M2
LIBRARY, LIBRARIAN = "inst-library", "contact-librarian"     # in M3
MED, MED2, MED3 = "med-1", "med-2", "med-3"                  # M1; M1 and M2; M2
FAM, MOTHER, SON = "fam-1", "per-mother", "per-son"          # in M1
CASE = "case-1"                                              # of FAM, open

WORLD: tuple[tuple[str, dict[str, Any], str], ...] = (
    by(ADMIN.subject, municipality(M1)),
    by(ADMIN.subject, municipality(M2, "Ozolnieku novads")),
    by(ADMIN.subject, municipality(M3, "Valmieras novads")),
    by(ADMIN.subject, institution_registered(SCHOOL, M1)),
    by(ADMIN.subject, contact(SCHOOL, SCHOOL_CONTACT)),
    by(ADMIN.subject, institution_registered(CLINIC, M2, kind="health")),
    by(ADMIN.subject, contact(CLINIC, CLINIC_CONTACT)),
    by(ADMIN.subject, institution_registered(LIBRARY, M3, kind="library")),
    by(ADMIN.subject, contact(LIBRARY, LIBRARIAN)),
    by(ADMIN.subject, mediator_registered(MED, M1)),
    by(ADMIN.subject, mediator_registered(MED2, M1, M2)),
    by(ADMIN.subject, mediator_registered(MED3, M2)),
    by(MED, family(FAM, M1)),
    by(MED, person(FAM, MOTHER, "parent")),
    by(MED, person(FAM, SON)),
    by(MED, case(CASE, FAM)),
)
"""Municipalities M1-M3; a school (M1), a clinic (M2) and a library (M3) with a contact each;
mediators MED (M1), MED2 (M1+M2) and MED3 (M2); family FAM in M1 with MOTHER and SON, registered
by MED; CASE of FAM, open."""


# --- given / when ----------------------------------------------------------------------------


def _placement(ref: AggregateRef, data: EventData, states: Mapping[AggregateRef, AggregateState],
               actor: str) -> str:
    """Where a history event lives: a plain stand-in for the Accepted.municipality."""
    target = states.get(ref)
    if target is not None and target.municipality:
        return target.municipality
    if ref.type in ("mediator", "report"):
        return NATIONAL
    if ref.type == "municipality":
        return ref.id
    for field, owner in (("municipality_id", None), ("family_id", "family"), ("case_id", "case"),
                         ("institution_id", "institution")):
        value = getattr(data, field, None)
        if not value:
            continue
        if owner is None:
            return value
        state = states.get(AggregateRef(owner, value))
        if state is not None and state.municipality:
            return state.municipality
    body = states.get(AggregateRef("mediator", actor))
    if body is not None and getattr(body.body, "municipalities", None):
        return sorted(body.body.municipalities)[0]
    return NATIONAL


def _stored_form(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Posted data as the log holds it: a personal block is sealed (here: a well-formed stand-in)."""
    spec = catalogue.SPECS[event_type]
    if spec.has_personal and data.get("personal") is not None:
        return {**data, "personal": sealed(data["family_id"])}
    return data


_sequence = 0


def stored_event(state: AggregateState, event_type: str, data: dict[str, Any], actor: str,
                 municipality_id: str, *, event_id: str | None = None,
                 sequence: int | None = None) -> StoredEvent:
    """The StoredEvent the intake would append to `state` (hash chained to its last hash)."""
    global _sequence
    _sequence += 1
    stored_data = _stored_form(event_type, data)
    event = StoredEvent(
        id=event_id or f"ev-{_sequence}", source="tests/givens", type=event_type,
        time="2020-01-14T10:00:00+02:00", subject=f"{state.ref.type}/{state.ref.id}",
        recordedtime="2020-01-14T08:00:01Z", actor=actor, actorrole="admin",
        municipalityid=state.municipality or municipality_id, aggregatetype=state.ref.type,
        aggregateid=state.ref.id, version=state.version + 1, schemaversion=1,
        fingerprint=sha256_hex(canonical_json(stored_data)), prevhash=state.last_hash, hash="",
        data=stored_data, sequence=sequence if sequence is not None else _sequence)
    return event.model_copy(update={"hash": event.compute_hash()})


def record(states: Mapping[AggregateRef, AggregateState], event_type: str, data: dict[str, Any],
           actor: str, municipality_id: str | None = None) -> States:
    """`states` with one more event folded in (a new dict; `states` is left as it was)."""
    parsed = catalogue.parse_data(event_type, data)
    ref = parsed.aggregate()
    target = states.get(ref) or AggregateState(ref=ref)
    where = municipality_id or _placement(ref, parsed, states, actor)
    event = stored_event(target, event_type, data, actor, where)
    subject = target.subject or SUBJECTS.aggregate(where, ref.type, ref.id)
    return {**states, ref: apply_stored(target, event, subject)}


def given(*history: tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]) -> States:
    """The aggregate states after `history`: (type, data) by admin-1, or (type, data, actor)."""
    states: States = {}
    for item in history:
        event_type, data, actor = item if len(item) == 3 else (*item, ADMIN.subject)
        states = record(states, event_type, data, actor)
    return states


def command(principal: Principal, event_type: str, data: dict[str, Any],
            states: Mapping[AggregateRef, AggregateState],
            expected_version: int | None = None) -> Command:
    """The Command the intake would build: target plus every reference, loaded iteratively."""
    parsed = catalogue.parse_data(event_type, data)
    ref = parsed.aggregate()
    target = states.get(ref) or AggregateState(ref=ref)
    loaded: dict[AggregateRef, AggregateState] = {}
    while wanted := [r for r in references(parsed, target, principal, loaded) if r not in loaded]:
        for r in wanted:
            loaded[r] = states.get(r) or AggregateState(ref=r)
    return Command(principal, parsed, target, loaded, expected_version)


def when(principal: Principal, event_type: str, data: dict[str, Any],
         states: Mapping[AggregateRef, AggregateState],
         expected_version: int | None = None) -> Decision:
    """`decide` on one more event against `states`."""
    return decide(command(principal, event_type, data, states, expected_version))


# --- then ------------------------------------------------------------------------------------


def then_accepted_in(decision: Decision, municipality_id: str) -> None:
    """The event may be appended, placed in `municipality_id` (the decision shows on failure)."""
    assert decision == Accepted(municipality_id), decision


def then_rejected(decision: Decision, status: int, field: str | None = None) -> Rejection:
    assert isinstance(decision, Rejection), decision
    assert decision.status == status, decision
    if field is not None:
        assert decision.field == field, decision
    return decision
