"""Activities and outcomes: on a case, on a family, or on neither; and where each is placed.

Given the standard WORLD (see givens.py) -> when an activity or outcome is recorded -> then
accepted in a municipality, or rejected with the contract's status and the offending field.
"""

from __future__ import annotations

from givens import (ADMIN, CASE, FAM, M1, M2, M3, MED, MED2, MED3, MOTHER, SON, WORLD, activity, by,
                    case, case_closed, consent_withdrawn, erased, family, given, mediator,
                    mediator_registered, outcome, person, then_accepted_in, then_rejected, when)

STATES = given(*WORLD)
CLOSED = given(*WORLD, by(MED, case_closed(CASE)))
WITHDRAWN = given(*WORLD, by(MED, consent_withdrawn(FAM)))
ERASED = given(*WORLD, by(ADMIN.subject, erased(FAM)))
OTHER_FAMILY = given(*WORLD, by(MED, family("fam-2", M1)), by(MED, person("fam-2", "per-other")),
                     by(MED, case("case-2", "fam-2")))


# --- an activity on a case -------------------------------------------------------------------


def test_given_an_open_case_when_an_activity_names_family_members_then_placed_with_the_case() -> None:
    decision = when(mediator(MED), *activity("act-1", case_id=CASE, person_ids=[MOTHER, SON]), STATES)
    then_accepted_in(decision, M1)


def test_given_an_open_case_when_an_activity_repeats_the_cases_family_id_then_accepted() -> None:
    then_accepted_in(when(mediator(MED), *activity("act-1", case_id=CASE, family_id=FAM), STATES), M1)


def test_given_a_closed_case_when_an_activity_is_recorded_then_409_on_case_id() -> None:
    then_rejected(when(mediator(MED), *activity("act-1", case_id=CASE), CLOSED), 409, "data.case_id")


def test_given_an_activity_on_a_case_when_the_same_activity_id_comes_again_then_409_on_activity_id() -> None:
    states = given(*WORLD, by(MED, activity("act-1", case_id=CASE)))
    then_rejected(when(mediator(MED), *activity("act-1", case_id=CASE), states), 409, "data.activity_id")
    then_accepted_in(when(mediator(MED), *activity("act-2", case_id=CASE), states), M1)


def test_when_an_activity_names_an_unknown_case_then_404_on_case_id() -> None:
    then_rejected(when(mediator(MED), *activity("act-1", case_id="case-nowhere"), STATES), 404,
                  "data.case_id")


def test_when_an_activity_names_a_case_and_another_family_then_422_on_family_id() -> None:
    decision = when(mediator(MED), *activity("act-1", case_id=CASE, family_id="fam-2"), OTHER_FAMILY)
    then_rejected(decision, 422, "data.family_id")


def test_when_an_activity_on_a_case_names_a_stranger_then_404_on_person_ids() -> None:
    decision = when(mediator(MED), *activity("act-1", case_id=CASE, person_ids=[SON, "per-other"]),
                    OTHER_FAMILY)
    rejection = then_rejected(decision, 404, "data.person_ids")
    assert "per-other" in rejection.detail and SON not in rejection.detail


def test_given_an_erased_family_when_an_activity_is_recorded_on_its_case_then_409_on_case_id() -> None:
    then_rejected(when(mediator(MED), *activity("act-1", case_id=CASE), ERASED), 409, "data.case_id")


def test_given_consent_withdrawn_when_an_activity_is_recorded_on_the_case_then_409() -> None:
    then_rejected(when(mediator(MED), *activity("act-1", case_id=CASE), WITHDRAWN), 409, "data.case_id")


def test_when_a_mediator_of_another_municipality_records_an_activity_on_a_case_then_403() -> None:
    then_rejected(when(mediator(MED3), *activity("act-1", case_id=CASE), STATES), 403)


def test_when_an_activity_on_a_case_claims_another_municipality_than_the_familys_then_422() -> None:
    # The same rule as for an activity naming only its family, and as for a cooperation on a
    # case: the family's municipality places the work; a contradicting municipality_id is a 422,
    # never silently stored next to a different placement.
    decision = when(mediator(MED2), *activity("act-1", case_id=CASE, municipality_id=M2), STATES)
    then_rejected(decision, 422, "data.municipality_id")


# --- an activity on a family, without a case -------------------------------------------------


def test_when_an_activity_names_a_family_then_it_is_placed_in_the_familys_municipality() -> None:
    then_accepted_in(when(mediator(MED), *activity("act-1", family_id=FAM, person_ids=[SON]), STATES), M1)


def test_when_a_family_activity_names_a_stranger_then_404_on_person_ids() -> None:
    decision = when(mediator(MED), *activity("act-1", family_id=FAM, person_ids=["per-other"]),
                    OTHER_FAMILY)
    then_rejected(decision, 404, "data.person_ids")


def test_when_an_activity_names_an_unknown_family_then_404_on_family_id() -> None:
    then_rejected(when(mediator(MED), *activity("act-1", family_id="fam-nowhere"), STATES), 404,
                  "data.family_id")


def test_given_an_erased_family_when_an_activity_names_it_then_409_on_family_id() -> None:
    then_rejected(when(mediator(MED), *activity("act-1", family_id=FAM), ERASED), 409, "data.family_id")


def test_given_consent_withdrawn_when_an_activity_names_the_family_then_409_on_family_id() -> None:
    then_rejected(when(mediator(MED), *activity("act-1", family_id=FAM), WITHDRAWN), 409,
                  "data.family_id")


def test_when_a_family_activity_claims_another_municipality_then_422_on_municipality_id() -> None:
    decision = when(mediator(MED2), *activity("act-1", family_id=FAM, municipality_id=M2), STATES)
    then_rejected(decision, 422, "data.municipality_id")


def test_given_a_recorded_activity_when_its_id_is_used_again_then_409_on_activity_id() -> None:
    states = given(*WORLD, by(MED, activity("act-1", family_id=FAM)))
    then_rejected(when(mediator(MED), *activity("act-1", family_id=FAM), states), 409, "data.activity_id")
    then_rejected(when(mediator(MED), *activity("act-1"), states), 409, "data.activity_id")


def test_when_a_mediator_of_another_municipality_records_an_activity_with_a_family_then_403() -> None:
    then_rejected(when(mediator(MED3), *activity("act-1", family_id=FAM), STATES), 403)


# --- an activity with neither family nor case -------------------------------------------------


def test_when_an_activity_names_persons_without_family_or_case_then_422_on_person_ids() -> None:
    then_rejected(when(mediator(MED), *activity("act-1", person_ids=[SON]), STATES), 422,
                  "data.person_ids")


def test_given_a_mediator_in_one_municipality_when_an_activity_names_none_then_placed_there() -> None:
    then_accepted_in(when(mediator(MED), *activity("act-1"), STATES), M1)


def test_given_a_mediator_in_two_municipalities_when_an_activity_names_none_then_placed_in_the_first_registered() -> None:
    # municipality_id is not in the contract's catalogue: a client that knows only the contract
    # can still record the work, in the municipality the registration names first.
    then_accepted_in(when(mediator(MED2), *activity("act-1"), STATES), M1)
    registered_m2_first = given(*WORLD, by(ADMIN.subject, mediator_registered(MED2, M2, M1)))
    then_accepted_in(when(mediator(MED2), *activity("act-1"), registered_m2_first), M2)


def test_given_a_token_narrowed_away_from_home_when_an_activity_names_none_then_placed_where_the_token_allows() -> None:
    then_accepted_in(when(mediator(MED2, M2), *activity("act-1"), STATES), M2)
    then_rejected(when(mediator(MED2, M3), *activity("act-1"), STATES), 403)


def test_given_a_mediator_in_two_municipalities_when_an_activity_names_one_then_placed_there() -> None:
    then_accepted_in(when(mediator(MED2), *activity("act-1", municipality_id=M2), STATES), M2)


def test_when_an_activity_names_a_municipality_the_mediator_does_not_work_in_then_403() -> None:
    then_rejected(when(mediator(MED), *activity("act-1", municipality_id=M3), STATES), 403)


def test_when_an_activity_names_a_municipality_outside_the_token_then_403() -> None:
    then_rejected(when(mediator(MED2, M2), *activity("act-1", municipality_id=M1), STATES), 403)


def test_when_an_activity_names_an_unknown_municipality_then_404_on_municipality_id() -> None:
    then_rejected(when(mediator(MED), *activity("act-1", municipality_id="atlantis"), STATES), 404,
                  "data.municipality_id")


def test_when_an_unregistered_mediator_records_an_activity_then_403() -> None:
    then_rejected(when(mediator("med-unknown"), *activity("act-1"), STATES), 403)


# --- outcomes --------------------------------------------------------------------------------


def test_given_an_open_case_when_an_outcome_names_a_member_then_placed_with_the_case() -> None:
    then_accepted_in(when(mediator(MED), *outcome("out-1", CASE, [SON]), STATES), M1)


def test_given_a_closed_case_when_an_outcome_is_recorded_then_accepted() -> None:
    # Results often show after a case is closed (the child keeps attending school).
    then_accepted_in(when(mediator(MED), *outcome("out-1", CASE), CLOSED), M1)


def test_given_an_outcome_when_its_id_is_used_again_then_409_on_outcome_id() -> None:
    states = given(*WORLD, by(MED, outcome("out-1", CASE)))
    then_rejected(when(mediator(MED), *outcome("out-1", CASE), states), 409, "data.outcome_id")


def test_when_an_outcome_names_an_unknown_case_then_404_on_case_id() -> None:
    then_rejected(when(mediator(MED), *outcome("out-1", "case-nowhere"), STATES), 404, "data.case_id")


def test_when_an_outcome_names_a_stranger_then_404_on_person_ids() -> None:
    then_rejected(when(mediator(MED), *outcome("out-1", CASE, ["per-other"]), OTHER_FAMILY), 404,
                  "data.person_ids")


def test_given_an_erased_family_when_an_outcome_is_recorded_on_its_case_then_409_on_case_id() -> None:
    then_rejected(when(mediator(MED), *outcome("out-1", CASE), ERASED), 409, "data.case_id")


def test_given_consent_withdrawn_when_an_outcome_is_recorded_on_the_case_then_409() -> None:
    # "The family withdrew consent: no new work may be recorded for it" (ConsentWithdrawn).
    then_rejected(when(mediator(MED), *outcome("out-1", CASE), WITHDRAWN), 409)


def test_when_a_mediator_of_another_municipality_records_an_outcome_then_403() -> None:
    then_rejected(when(mediator(MED3), *outcome("out-1", CASE), STATES), 403)
