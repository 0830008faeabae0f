"""Cooperations and referrals: the mediator records them, only the named institution answers.

Given the standard WORLD (see givens.py) -> when a cooperation or referral event is posted ->
then accepted in a municipality, or rejected with the contract's status and field.
"""

from __future__ import annotations

import pytest

from givens import (ADMIN, CASE, CLINIC, CLINIC_CONTACT, FAM, LIBRARIAN, LIBRARY, M1, M2, MED,
                    MED2, MED3, SCHOOL, SCHOOL_CONTACT, WORLD, acknowledged, by, case, case_closed,
                    consent_withdrawn, cooperation, disputed, erased, family, given, institution,
                    mediator, referral, referral_answer, then_accepted_in, then_rejected, when)

STATES = given(*WORLD)
WITHDRAWN = given(*WORLD, by(MED, consent_withdrawn(FAM)))
ERASED = given(*WORLD, by(ADMIN.subject, erased(FAM)))


# --- recording a cooperation: references ------------------------------------------------------


def test_when_a_cooperation_names_a_case_then_it_is_placed_in_the_cases_familys_municipality() -> None:
    decision = when(mediator(MED), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT, case_id=CASE), STATES)
    then_accepted_in(decision, M1)


def test_when_a_cooperation_with_an_institution_elsewhere_names_a_family_then_placed_with_it() -> None:
    decision = when(mediator(MED2), *cooperation("co-1", CLINIC, CLINIC_CONTACT, family_id=FAM), STATES)
    then_accepted_in(decision, M1)


def test_when_a_cooperation_names_an_unknown_institution_then_404_on_institution_id() -> None:
    decision = when(mediator(MED), *cooperation("co-1", "inst-nowhere", SCHOOL_CONTACT), STATES)
    then_rejected(decision, 404, "data.institution_id")


def test_when_a_cooperation_names_another_institutions_contact_then_404_on_contact_id() -> None:
    decision = when(mediator(MED), *cooperation("co-1", SCHOOL, CLINIC_CONTACT), STATES)
    then_rejected(decision, 404, "data.contact_id")


def test_when_a_cooperation_names_an_unknown_case_then_404_on_case_id() -> None:
    decision = when(mediator(MED), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT, case_id="case-x"), STATES)
    then_rejected(decision, 404, "data.case_id")


def test_when_a_cooperation_names_an_unknown_family_then_404_on_family_id() -> None:
    decision = when(mediator(MED), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT, family_id="fam-x"), STATES)
    then_rejected(decision, 404, "data.family_id")


def test_when_a_cooperation_names_a_case_of_another_family_then_422_on_family_id() -> None:
    states = given(*WORLD, by(MED, family("fam-2", M1)))
    decision = when(mediator(MED), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT, case_id=CASE,
                                                family_id="fam-2"), states)
    then_rejected(decision, 422, "data.family_id")


@pytest.mark.parametrize("states", [ERASED, WITHDRAWN], ids=["erased", "consent-withdrawn"])
def test_given_a_family_that_takes_nothing_new_when_a_cooperation_names_it_then_409(states) -> None:
    then_rejected(when(mediator(MED), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT, family_id=FAM),
                       states), 409, "data.family_id")
    then_rejected(when(mediator(MED), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT, case_id=CASE),
                       states), 409)


def test_when_a_cooperation_with_a_family_claims_another_municipality_then_422() -> None:
    decision = when(mediator(MED2), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT, case_id=CASE,
                                                 municipality_id=M2), STATES)
    then_rejected(decision, 422, "data.municipality_id")


def test_given_a_recorded_cooperation_when_its_id_is_used_again_then_409_on_cooperation_id() -> None:
    states = given(*WORLD, by(MED, cooperation("co-1", SCHOOL, SCHOOL_CONTACT)))
    decision = when(mediator(MED), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT), states)
    then_rejected(decision, 409, "data.cooperation_id")


def test_when_a_mediator_of_another_municipality_records_a_cooperation_about_a_family_then_403() -> None:
    decision = when(mediator(MED3), *cooperation("co-1", CLINIC, CLINIC_CONTACT, family_id=FAM), STATES)
    then_rejected(decision, 403)


# --- recording a cooperation without a family: placement ---------------------------------------


def test_when_a_familyless_cooperation_names_a_municipality_then_placed_there() -> None:
    decision = when(mediator(MED2), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT, municipality_id=M2),
                    STATES)
    then_accepted_in(decision, M2)


def test_when_a_familyless_cooperation_names_an_unknown_municipality_then_404() -> None:
    decision = when(mediator(MED), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT,
                                                municipality_id="atlantis"), STATES)
    then_rejected(decision, 404, "data.municipality_id")


def test_when_a_familyless_cooperation_names_a_municipality_the_mediator_does_not_work_in_then_403() -> None:
    decision = when(mediator(MED), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT, municipality_id=M2),
                    STATES)
    then_rejected(decision, 403)


def test_given_the_mediator_works_where_the_institution_is_then_placed_with_the_institution() -> None:
    decision = when(mediator(MED2), *cooperation("co-1", CLINIC, CLINIC_CONTACT), STATES)
    then_accepted_in(decision, M2)


def test_given_the_institution_is_elsewhere_and_the_mediator_has_one_municipality_then_placed_there() -> None:
    decision = when(mediator(MED), *cooperation("co-1", CLINIC, CLINIC_CONTACT), STATES)
    then_accepted_in(decision, M1)


def test_given_the_institution_is_elsewhere_and_the_mediator_has_two_municipalities_then_placed_at_home() -> None:
    # Home is the municipality the registration names first (MED2: M1, then M2).
    decision = when(mediator(MED2), *cooperation("co-1", LIBRARY, LIBRARIAN), STATES)
    then_accepted_in(decision, M1)


def test_given_the_institutions_municipality_is_outside_the_token_then_placed_where_the_token_allows() -> None:
    decision = when(mediator(MED2, M1), *cooperation("co-1", CLINIC, CLINIC_CONTACT), STATES)
    then_accepted_in(decision, M1)


def test_when_an_unregistered_mediator_records_a_familyless_cooperation_then_403() -> None:
    decision = when(mediator("med-unknown"), *cooperation("co-1", SCHOOL, SCHOOL_CONTACT), STATES)
    then_rejected(decision, 403)


# --- answering a cooperation: only the named institution -------------------------------------

RECORDED = given(*WORLD, by(MED2, cooperation("co-1", CLINIC, CLINIC_CONTACT, family_id=FAM)))


@pytest.mark.parametrize("answer", [acknowledged, disputed], ids=["acknowledged", "disputed"])
def test_when_the_named_institution_answers_then_placed_with_the_cooperation(answer) -> None:
    # The cooperation lives with the family (M1), though the clinic is in M2.
    then_accepted_in(when(institution(CLINIC), *answer("co-1", CLINIC_CONTACT), RECORDED), M1)


@pytest.mark.parametrize("answer", [acknowledged, disputed], ids=["acknowledged", "disputed"])
def test_when_another_institution_answers_then_403(answer) -> None:
    then_rejected(when(institution(SCHOOL), *answer("co-1", SCHOOL_CONTACT), RECORDED), 403)


@pytest.mark.parametrize("answer", [acknowledged, disputed], ids=["acknowledged", "disputed"])
def test_when_an_unknown_cooperation_is_answered_then_404_on_cooperation_id(answer) -> None:
    then_rejected(when(institution(CLINIC), *answer("co-x", CLINIC_CONTACT), RECORDED), 404,
                  "data.cooperation_id")


@pytest.mark.parametrize("answer", [acknowledged, disputed], ids=["acknowledged", "disputed"])
def test_when_the_answer_names_someone_not_a_contact_of_the_institution_then_404_on_contact_id(
        answer) -> None:
    then_rejected(when(institution(CLINIC), *answer("co-1", SCHOOL_CONTACT), RECORDED), 404,
                  "data.contact_id")


@pytest.mark.parametrize("first", [acknowledged, disputed], ids=["acknowledged", "disputed"])
@pytest.mark.parametrize("second", [acknowledged, disputed], ids=["then-acknowledged", "then-disputed"])
def test_given_an_answered_cooperation_when_answered_again_then_409(first, second) -> None:
    states = given(*WORLD, by(MED2, cooperation("co-1", CLINIC, CLINIC_CONTACT, family_id=FAM)),
                   by("nurse", first("co-1", CLINIC_CONTACT)))
    then_rejected(when(institution(CLINIC), *second("co-1", CLINIC_CONTACT), states), 409)


# --- referrals -------------------------------------------------------------------------------


def test_when_a_referral_is_made_on_an_open_case_then_placed_with_the_case() -> None:
    then_accepted_in(when(mediator(MED), *referral("ref-1", CASE, CLINIC), STATES), M1)


def test_when_a_referral_names_an_unknown_case_then_404_on_case_id() -> None:
    then_rejected(when(mediator(MED), *referral("ref-1", "case-x", CLINIC), STATES), 404, "data.case_id")


def test_given_a_closed_case_when_a_referral_is_made_then_409_on_case_id() -> None:
    states = given(*WORLD, by(MED, case_closed(CASE)))
    then_rejected(when(mediator(MED), *referral("ref-1", CASE, CLINIC), states), 409, "data.case_id")


def test_when_a_referral_names_an_unknown_institution_then_404_on_institution_id() -> None:
    then_rejected(when(mediator(MED), *referral("ref-1", CASE, "inst-x"), STATES), 404,
                  "data.institution_id")


def test_given_a_referral_when_its_id_is_used_again_then_409_on_referral_id() -> None:
    states = given(*WORLD, by(MED, referral("ref-1", CASE, CLINIC)))
    then_rejected(when(mediator(MED), *referral("ref-1", CASE, CLINIC), states), 409, "data.referral_id")


def test_when_a_mediator_of_another_municipality_makes_a_referral_then_403() -> None:
    then_rejected(when(mediator(MED3), *referral("ref-1", CASE, CLINIC), STATES), 403)


@pytest.mark.parametrize("states", [ERASED, WITHDRAWN], ids=["erased", "consent-withdrawn"])
def test_given_a_family_that_takes_nothing_new_when_its_case_is_referred_then_409(states) -> None:
    # A referral is new work about the family: it passes the family's case to an institution.
    then_rejected(when(mediator(MED), *referral("ref-1", CASE, CLINIC), states), 409)


# referral states: made -> accepted -> completed; made/accepted -> declined
_PATHS = {"made": (), "accepted": ("accepted",), "completed": ("accepted", "completed"),
          "declined": ("declined",), "declined-after-accepted": ("accepted", "declined")}
_ALLOWED = {("made", "accepted"), ("made", "declined"), ("accepted", "completed"),
            ("accepted", "declined")}


@pytest.mark.parametrize("answer", ["accepted", "completed", "declined"])
@pytest.mark.parametrize("status", list(_PATHS))
def test_given_a_referral_in_a_state_when_the_institution_answers_then_only_the_allowed_moves_pass(
        status: str, answer: str) -> None:
    states = given(*WORLD, by(MED, referral("ref-1", CASE, CLINIC)),
                   *(by("nurse", referral_answer(step, "ref-1")) for step in _PATHS[status]))
    decision = when(institution(CLINIC), *referral_answer(answer, "ref-1"), states)
    if (status, answer) in _ALLOWED:
        then_accepted_in(decision, M1)
    else:
        then_rejected(decision, 409)


@pytest.mark.parametrize("answer", ["accepted", "completed", "declined"])
def test_when_another_institution_answers_a_referral_then_403(answer: str) -> None:
    states = given(*WORLD, by(MED, referral("ref-1", CASE, CLINIC)))
    then_rejected(when(institution(SCHOOL), *referral_answer(answer, "ref-1"), states), 403)


@pytest.mark.parametrize("answer", ["accepted", "completed", "declined"])
def test_when_an_unknown_referral_is_answered_then_404_on_referral_id(answer: str) -> None:
    then_rejected(when(institution(CLINIC), *referral_answer(answer, "ref-x"), STATES), 404,
                  "data.referral_id")


def test_given_a_case_in_another_municipality_then_its_referral_is_placed_with_the_case() -> None:
    # The school is in M1; the referral follows the case (M2), not the institution.
    states = given(*WORLD, by(MED3, family("fam-m2", M2)), by(MED3, case("case-m2", "fam-m2")))
    then_accepted_in(when(mediator(MED3), *referral("ref-1", "case-m2", SCHOOL), states), M2)
    then_rejected(when(mediator(MED), *referral("ref-1", "case-m2", SCHOOL), states), 403)
