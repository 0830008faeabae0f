"""Aggregate state: `evolve` (the domain body after one event) and `apply_stored` (the stream's
bookkeeping: version, last sequence, last hash, applied ids with their fingerprints)."""

from __future__ import annotations

from types import MappingProxyType

import pytest
from pydantic import ValidationError

from examples import CASE as EXAMPLE_CASE
from examples import FAMILY as EXAMPLE_FAMILY
from examples import MEDIATOR as EXAMPLE_MEDIATOR
from examples import STORED_EXAMPLES
from givens import SUBJECTS, stored_event
from services.intake.domain.state import (Activity, AggregateState, Applied, Case, Cooperation,
                                          Evaluation, Family, Institution, Mediator, Municipality,
                                          Referral, Report, apply_stored, evolve)
from shared.events import catalogue
from shared.events.base import AggregateRef, EventData
from shared.events.envelope import GENESIS_HASH
from shared.events.catalogue import UnsupportedSchemaVersion


def parse(event_type: str, **changes: object) -> EventData:
    return catalogue.parse_stored_data(event_type, {**STORED_EXAMPLES[event_type], **changes}, 1)


def fold(*events: tuple[str, dict], actor: str = "med-0007") -> object:
    body = None
    for event_type, changes in events:
        body = evolve(body, parse(event_type, **changes), actor)
    return body


# --- evolve: the domain body ------------------------------------------------------------------


def test_given_nothing_when_a_municipality_is_registered_then_it_exists_with_its_name() -> None:
    assert fold(("tilts.municipality.registered", {})) == Municipality(name="Jelgavas valstspilsēta")


def test_given_an_institution_when_contacts_are_added_then_it_collects_them() -> None:
    body = fold(("tilts.institution.registered", {}),
                ("tilts.institution.contact_added", {"contact_id": "c-1"}),
                ("tilts.institution.contact_added", {"contact_id": "c-2"}))
    assert body == Institution(municipality_id="jelgava", contacts=frozenset({"c-1", "c-2"}))


def test_given_a_mediator_when_registered_again_then_the_municipalities_are_replaced() -> None:
    body = fold(("tilts.mediator.registered", {}),
                ("tilts.mediator.registered", {"municipality_ids": ["valmiera"]}))
    assert (body.municipalities, body.home) == (frozenset({"valmiera"}), "valmiera")


def test_a_mediator_remembers_where_they_were_registered_at_each_sequence() -> None:
    body = evolve(None, parse("tilts.mediator.registered", municipality_ids=["jelgava", "dobele"]), "admin", 10)
    body = evolve(body, parse("tilts.mediator.registered", municipality_ids=["valmiera"]), "admin", 20)
    assert body.municipalities_at(15) == frozenset({"jelgava", "dobele"})
    assert body.municipalities_at(20) == body.municipalities_at(99) == frozenset({"valmiera"})
    assert body.municipalities_at(5) == frozenset({"jelgava", "dobele"})  # before any: the first
    assert Mediator(municipalities=frozenset({"balvi"})).municipalities_at(1) == frozenset({"balvi"})


def test_given_a_family_when_persons_consent_and_erasure_follow_then_each_is_remembered() -> None:
    body = fold(("tilts.family.registered", {}), ("tilts.person.added", {"person_id": "p-1"}),
                ("tilts.person.added", {"person_id": "p-2"}))
    assert body == Family(municipality_id="jelgava", persons=frozenset({"p-1", "p-2"}))
    withdrawn = evolve(body, parse("tilts.family.consent_withdrawn"), "coord-1")
    assert withdrawn.consent_withdrawn and not withdrawn.erased
    erased = evolve(withdrawn, parse("tilts.family.erased"), "admin-1")
    assert erased.erased and erased.consent_withdrawn and erased.persons == body.persons


def test_given_a_case_when_activities_outcomes_and_closing_follow_then_each_is_remembered() -> None:
    body = fold(("tilts.case.opened", {}), ("tilts.activity.recorded", {"activity_id": "a-1"}),
                ("tilts.outcome.recorded", {"outcome_id": "o-1"}), ("tilts.case.closed", {}))
    assert body == Case(family_id=EXAMPLE_FAMILY, open=False, activities=frozenset({"a-1"}),
                        outcomes=frozenset({"o-1"}))


def test_given_no_case_when_an_activity_is_recorded_then_it_is_its_own_aggregate() -> None:
    assert fold(("tilts.activity.recorded", {"case_id": None})) == Activity()


@pytest.mark.parametrize(("answer", "expected"), [("acknowledged", "acknowledged"), ("disputed", "disputed")])
def test_given_a_cooperation_when_the_institution_answers_then_the_answer_is_kept(answer, expected) -> None:
    body = fold(("tilts.cooperation.recorded", {}), (f"tilts.cooperation.{answer}", {}))
    assert body == Cooperation(institution_id="inst-jelgava-ozolu-pamatskola", answer=expected)


def test_given_a_referral_when_it_moves_then_its_status_follows() -> None:
    body = fold(("tilts.referral.made", {}))
    assert body == Referral(institution_id="inst-jelgava-socialais-dienests", case_id=EXAMPLE_CASE)
    for step in ("accepted", "completed"):
        body = evolve(body, parse(f"tilts.referral.{step}"), "inst")
        assert body.status == step
    declined = evolve(fold(("tilts.referral.made", {})), parse("tilts.referral.declined"), "i")
    assert declined.status == "declined"


def test_given_a_report_then_its_author_is_the_events_actor_and_review_moves_its_status() -> None:
    body = fold(("tilts.report.submitted", {}), actor=EXAMPLE_MEDIATOR)
    assert body == Report(mediator_id=EXAMPLE_MEDIATOR, month="2019-10", status="submitted")
    assert evolve(body, parse("tilts.report.submitted"), EXAMPLE_MEDIATOR, 42).submitted_sequence == 42
    returned = evolve(body, parse("tilts.report.returned"), "coord-1")
    assert returned.status == "returned"
    assert evolve(returned, parse("tilts.report.submitted"), EXAMPLE_MEDIATOR).status == "submitted"
    assert evolve(body, parse("tilts.report.approved"), "coord-1").status == "approved"


def test_given_an_evaluation_then_it_remembers_its_institution() -> None:
    assert fold(("tilts.evaluation.submitted", {})) == Evaluation("inst-jelgava-ozolu-pamatskola")


def test_when_evolve_meets_data_it_has_no_rule_for_then_type_error() -> None:
    class Stranger(EventData):
        x: int = 1
    with pytest.raises(TypeError):
        evolve(None, Stranger(), "x")


def test_evolve_is_pure_the_previous_body_is_unchanged() -> None:
    body = fold(("tilts.family.registered", {}))
    evolve(body, parse("tilts.person.added", person_id="p-9"), "m")
    assert body.persons == frozenset()


# --- apply_stored: bookkeeping -----------------------------------------------------------------

REF = AggregateRef("case", EXAMPLE_CASE)
SUBJECT = SUBJECTS.aggregate("jelgava", "case", EXAMPLE_CASE)


def _opened_then_activity() -> tuple[AggregateState, list]:
    state = AggregateState(ref=REF)
    events = []
    for event_id, event_type, sequence in (("e-open", "tilts.case.opened", 17),
                                            ("e-act", "tilts.activity.recorded", 42)):
        event = stored_event(state, event_type, STORED_EXAMPLES[event_type], "med-0007", "jelgava",
                             event_id=event_id, sequence=sequence)
        state = apply_stored(state, event, SUBJECT)
        events.append(event)
    return state, events


def test_given_a_new_aggregate_then_it_starts_empty_at_version_0_on_the_genesis_hash() -> None:
    state = AggregateState(ref=REF)
    assert (state.exists, state.version, state.last_sequence, state.last_hash) == (False, 0, 0, GENESIS_HASH)
    assert dict(state.applied) == {} and state.subject is None and state.municipality is None


def test_when_stored_events_are_applied_then_version_sequence_and_hash_follow_the_last_one() -> None:
    state, (opened, act) = _opened_then_activity()
    assert state.exists
    assert state.version == 2 == act.version
    assert state.last_sequence == 42
    assert state.last_hash == act.hash and act.prevhash == opened.hash
    assert opened.prevhash == GENESIS_HASH
    assert state.subject == SUBJECT and state.municipality == "jelgava"


def test_when_stored_events_are_applied_then_each_id_is_remembered_with_its_fingerprint_and_author() -> None:
    state, (opened, act) = _opened_then_activity()
    assert dict(state.applied) == {"e-open": Applied(17, 1, opened.fingerprint, opened.actor),
                                   "e-act": Applied(42, 2, act.fingerprint, act.actor)}
    assert isinstance(state.applied, MappingProxyType)


def test_when_an_event_is_applied_then_the_earlier_state_is_left_as_it_was() -> None:
    before = AggregateState(ref=REF)
    event = stored_event(before, "tilts.case.opened", STORED_EXAMPLES["tilts.case.opened"], "m", "jelgava")
    after = apply_stored(before, event, SUBJECT)
    assert before.version == 0 and dict(before.applied) == {} and after.version == 1


def test_when_a_stored_event_has_no_sequence_then_it_counts_as_0() -> None:
    state = AggregateState(ref=REF)
    event = stored_event(state, "tilts.case.opened", STORED_EXAMPLES["tilts.case.opened"], "m",
                         "jelgava").model_copy(update={"sequence": None})
    assert apply_stored(state, event, SUBJECT).last_sequence == 0


@pytest.mark.parametrize("event_type", sorted(STORED_EXAMPLES))
def test_every_stored_example_applies_to_its_aggregate(event_type: str) -> None:
    data = catalogue.parse_stored_data(event_type, STORED_EXAMPLES[event_type], 1)
    ref = data.aggregate()
    state = AggregateState(ref=ref)
    prior = {"tilts.institution.contact_added": "tilts.institution.registered",
             "tilts.person.added": "tilts.family.registered",
             "tilts.family.consent_withdrawn": "tilts.family.registered",
             "tilts.family.erased": "tilts.family.registered",
             "tilts.case.closed": "tilts.case.opened", "tilts.outcome.recorded": "tilts.case.opened",
             "tilts.activity.recorded": "tilts.case.opened",
             "tilts.cooperation.acknowledged": "tilts.cooperation.recorded",
             "tilts.cooperation.disputed": "tilts.cooperation.recorded",
             "tilts.referral.accepted": "tilts.referral.made",
             "tilts.referral.completed": "tilts.referral.made",
             "tilts.referral.declined": "tilts.referral.made",
             "tilts.report.approved": "tilts.report.submitted",
             "tilts.report.returned": "tilts.report.submitted"}.get(event_type)
    if prior:
        prior_data = {**STORED_EXAMPLES[prior], ref.type + "_id": ref.id}
        state = apply_stored(state, stored_event(state, prior, prior_data, "m", "jelgava"), "s")
    event = stored_event(state, event_type, STORED_EXAMPLES[event_type], "m", "jelgava")
    after = apply_stored(state, event, "s")
    assert after.exists and after.version == state.version + 1 and event.id in after.applied


def test_when_a_stored_event_holds_plain_personal_data_then_it_does_not_apply() -> None:
    state = AggregateState(ref=AggregateRef("family", EXAMPLE_FAMILY))
    event = stored_event(state, "tilts.family.registered", STORED_EXAMPLES["tilts.family.registered"],
                         "m", "jelgava")
    plain = event.model_copy(update={"data": {**event.data, "personal": {"surname": "Ozoliņi"}}})
    with pytest.raises(ValidationError):
        apply_stored(state, plain, "s")


def test_when_a_stored_event_has_an_unknown_schema_version_then_it_does_not_apply() -> None:
    state = AggregateState(ref=REF)
    event = stored_event(state, "tilts.case.opened", STORED_EXAMPLES["tilts.case.opened"], "m",
                         "jelgava").model_copy(update={"schemaversion": 7})
    with pytest.raises(UnsupportedSchemaVersion):
        apply_stored(state, event, SUBJECT)
