"""Families, their members, consent and erasure, and cases: who may write them, and when.

Given the standard WORLD (see givens.py) -> when a family or case event is posted -> then
accepted in the family's municipality, or rejected with the contract's status.
"""

from __future__ import annotations

import pytest

from givens import (ADMIN, AUDITOR, CASE, FAM, M1, M2, MED, MED2, MED3, MOTHER, SCHOOL, SON, WORLD,
                    by, case, case_closed, consent_withdrawn, coordinator, erased, family, given,
                    institution, mediator, person, then_accepted_in, then_rejected, when)
from shared.events.base import AggregateRef

STATES = given(*WORLD)
WITHDRAWN = given(*WORLD, by(MED, consent_withdrawn(FAM)))
ERASED = given(*WORLD, by(ADMIN.subject, erased(FAM)))


# --- family registration: the mediator's municipalities, and the token's -----------------------


def test_when_a_mediator_registers_a_family_where_they_work_then_it_is_placed_there() -> None:
    then_accepted_in(when(mediator(MED), *family("fam-new", M1, personal=True), STATES), M1)


def test_when_a_mediator_registers_a_family_where_they_do_not_work_then_403() -> None:
    then_rejected(when(mediator(MED), *family("fam-new", M2), STATES), 403)


def test_when_an_unregistered_mediator_registers_a_family_then_403() -> None:
    then_rejected(when(mediator("med-unknown"), *family("fam-new", M1), STATES), 403)


def test_when_the_token_lists_municipalities_then_the_mediator_writes_only_in_those() -> None:
    # MED2 is registered for M1 and M2, but this token was issued for M2 only.
    then_rejected(when(mediator(MED2, M2), *family("fam-new", M1), STATES), 403)
    then_accepted_in(when(mediator(MED2, M2), *family("fam-new", M2), STATES), M2)


def test_when_the_token_lists_a_municipality_the_mediator_is_not_registered_for_then_403() -> None:
    then_rejected(when(mediator(MED, M2), *family("fam-new", M2), STATES), 403)


def test_when_a_family_names_an_unknown_municipality_then_404_on_municipality_id() -> None:
    then_rejected(when(mediator(MED), *family("fam-new", "atlantis"), STATES), 404,
                  "data.municipality_id")


def test_given_a_registered_family_when_registered_again_then_409_on_family_id() -> None:
    then_rejected(when(mediator(MED), *family(FAM, M1), STATES), 409, "data.family_id")


@pytest.mark.parametrize("principal", [institution(SCHOOL), AUDITOR], ids=["institution", "auditor"])
def test_when_a_role_without_municipal_scope_writes_family_data_then_decide_itself_says_403(
        principal) -> None:
    # The role table already stops them at the edge; the decision does not rely on it.
    then_rejected(when(principal, *family("fam-new", M1), STATES), 403)
    then_rejected(when(principal, *case("case-new", FAM), STATES), 403)


# --- persons ---------------------------------------------------------------------------------


def test_when_a_person_is_added_to_a_family_then_it_is_placed_in_the_familys_municipality() -> None:
    then_accepted_in(when(mediator(MED), *person(FAM, "per-daughter"), STATES), M1)


def test_when_a_person_is_added_to_an_unknown_family_then_404_on_family_id() -> None:
    then_rejected(when(mediator(MED), *person("fam-nowhere", "per-x"), STATES), 404, "data.family_id")


def test_given_a_member_when_added_again_then_409_on_person_id() -> None:
    then_rejected(when(mediator(MED), *person(FAM, SON), STATES), 409, "data.person_id")


def test_given_consent_withdrawn_when_a_person_is_added_then_409() -> None:
    then_rejected(when(mediator(MED), *person(FAM, "per-daughter"), WITHDRAWN), 409)


def test_given_an_erased_family_when_a_person_is_added_then_409_on_family_id() -> None:
    then_rejected(when(mediator(MED), *person(FAM, "per-daughter"), ERASED), 409, "data.family_id")


def test_when_a_mediator_of_another_municipality_adds_a_person_then_403() -> None:
    then_rejected(when(mediator(MED3), *person(FAM, "per-daughter"), STATES), 403)


# --- consent withdrawal ----------------------------------------------------------------------


def test_when_the_mediator_records_consent_withdrawn_then_accepted_in_the_familys_municipality() -> None:
    then_accepted_in(when(mediator(MED), *consent_withdrawn(FAM), STATES), M1)


def test_when_the_familys_coordinator_records_consent_withdrawn_then_accepted() -> None:
    then_accepted_in(when(coordinator(M1), *consent_withdrawn(FAM), STATES), M1)


def test_when_a_coordinator_of_another_municipality_records_consent_withdrawn_then_403() -> None:
    then_rejected(when(coordinator(M2), *consent_withdrawn(FAM), STATES), 403)


def test_given_consent_withdrawn_when_withdrawn_again_then_409() -> None:
    then_rejected(when(mediator(MED), *consent_withdrawn(FAM), WITHDRAWN), 409)


def test_when_consent_is_withdrawn_for_an_unknown_family_then_404_on_family_id() -> None:
    then_rejected(when(mediator(MED), *consent_withdrawn("fam-nowhere"), STATES), 404,
                  "data.family_id")


def test_given_an_erased_family_when_consent_is_withdrawn_then_409_on_family_id() -> None:
    then_rejected(when(mediator(MED), *consent_withdrawn(FAM), ERASED), 409, "data.family_id")


# --- erasure ---------------------------------------------------------------------------------


def test_when_admin_erases_a_family_then_accepted_in_the_familys_municipality() -> None:
    then_accepted_in(when(ADMIN, *erased(FAM), STATES), M1)


def test_when_the_familys_coordinator_erases_it_then_accepted() -> None:
    then_accepted_in(when(coordinator(M1), *erased(FAM), STATES), M1)


def test_when_a_coordinator_of_another_municipality_erases_a_family_then_403() -> None:
    then_rejected(when(coordinator(M2), *erased(FAM), STATES), 403)


def test_given_consent_withdrawn_when_the_family_is_erased_then_accepted() -> None:
    then_accepted_in(when(ADMIN, *erased(FAM), WITHDRAWN), M1)


def test_given_an_erased_family_when_erased_again_then_409_on_family_id() -> None:
    then_rejected(when(ADMIN, *erased(FAM), ERASED), 409, "data.family_id")


def test_when_an_unknown_family_is_erased_then_404_on_family_id() -> None:
    then_rejected(when(ADMIN, *erased("fam-nowhere"), STATES), 404, "data.family_id")


# --- opening a case --------------------------------------------------------------------------


def test_when_a_case_is_opened_then_it_is_placed_in_the_familys_municipality() -> None:
    then_accepted_in(when(mediator(MED), *case("case-new", FAM), STATES), M1)


def test_when_a_case_names_an_unknown_family_then_404_on_family_id() -> None:
    then_rejected(when(mediator(MED), *case("case-new", "fam-nowhere"), STATES), 404, "data.family_id")


def test_given_an_erased_family_when_a_case_is_opened_then_409_on_family_id() -> None:
    then_rejected(when(mediator(MED), *case("case-new", FAM), ERASED), 409, "data.family_id")


def test_given_consent_withdrawn_when_a_case_is_opened_then_409_on_family_id() -> None:
    then_rejected(when(mediator(MED), *case("case-new", FAM), WITHDRAWN), 409, "data.family_id")


def test_given_an_existing_case_when_opened_again_then_409_on_case_id() -> None:
    then_rejected(when(mediator(MED), *case(CASE, FAM), STATES), 409, "data.case_id")


def test_when_a_mediator_of_another_municipality_opens_a_case_then_403() -> None:
    then_rejected(when(mediator(MED3), *case("case-new", FAM), STATES), 403)


def test_given_a_family_in_another_municipality_then_its_case_is_placed_there() -> None:
    states = given(*WORLD, by(MED2, family("fam-m2", M2)))
    then_accepted_in(when(mediator(MED2), *case("case-m2", "fam-m2"), states), M2)
    then_accepted_in(when(mediator(MED3), *case("case-m2", "fam-m2"), states), M2)


# --- closing a case --------------------------------------------------------------------------


def test_when_an_open_case_is_closed_then_accepted_in_the_cases_municipality() -> None:
    then_accepted_in(when(mediator(MED), *case_closed(CASE), STATES), M1)


def test_when_an_unknown_case_is_closed_then_404_on_case_id() -> None:
    then_rejected(when(mediator(MED), *case_closed("case-nowhere"), STATES), 404, "data.case_id")


def test_given_a_closed_case_when_closed_again_then_409_on_case_id() -> None:
    states = given(*WORLD, by(MED, case_closed(CASE)))
    then_rejected(when(mediator(MED), *case_closed(CASE, "lost_contact"), states), 409, "data.case_id")


def test_when_a_mediator_of_another_municipality_closes_a_case_then_403() -> None:
    then_rejected(when(mediator(MED3), *case_closed(CASE), STATES), 403)


def test_given_the_family_members_then_the_case_state_keeps_them_out_of_the_case() -> None:
    # Sanity of the world itself: members belong to the family aggregate, not to the case.
    assert STATES[AggregateRef("family", FAM)].body.persons == {MOTHER, SON}
    assert STATES[AggregateRef("case", CASE)].body.family_id == FAM


def test_a_refusal_for_another_municipalitys_family_does_not_say_where_the_family_lives() -> None:
    # The family exists (any refusal says that much), but its municipality is not the caller's to learn.
    refused = then_rejected(when(mediator(MED2, M2), *person(FAM, "p-new"), STATES), 403)
    assert M1 not in refused.detail and FAM in refused.detail


def test_a_token_narrowed_away_from_where_the_mediator_works_says_so() -> None:
    # MED works in M1; a token limited to M2 is refused for M1 because of the token, not the registration.
    refused = then_rejected(when(mediator(MED, M2), *family("fam-new", M1), STATES), 403)
    assert "token is limited to" in refused.detail and "not registered" not in refused.detail
