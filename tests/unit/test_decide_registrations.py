"""Registrations: municipalities, institutions and their contacts, mediators.

Given the standard WORLD (see givens.py) -> when a registration is posted -> then accepted in a
municipality, or rejected with the contract's status.
"""

from __future__ import annotations

from givens import (ADMIN, CLINIC, LIBRARY, M1, M2, M3, MED, MED2, SCHOOL, SCHOOL_CONTACT, WORLD,
                    by, contact, coordinator, given, institution, institution_registered,
                    mediator_registered, municipality, then_accepted_in, then_rejected, when)
from shared.bus.subjects import NATIONAL
from shared.events.base import AggregateRef

STATES = given(*WORLD)


# --- municipalities --------------------------------------------------------------------------


def test_when_admin_registers_a_new_municipality_then_it_is_placed_in_itself() -> None:
    then_accepted_in(when(ADMIN, *municipality("daugavpils"), STATES), "daugavpils")


def test_given_a_registered_municipality_when_registered_again_then_409_on_municipality_id() -> None:
    then_rejected(when(ADMIN, *municipality(M1), STATES), 409, "data.municipality_id")


# --- institutions ----------------------------------------------------------------------------


def test_when_admin_registers_an_institution_then_it_is_placed_in_its_municipality() -> None:
    then_accepted_in(when(ADMIN, *institution_registered("inst-new", M2), STATES), M2)


def test_when_an_institution_names_an_unknown_municipality_then_404_on_municipality_id() -> None:
    decision = when(ADMIN, *institution_registered("inst-new", "atlantis"), STATES)
    then_rejected(decision, 404, "data.municipality_id")


def test_given_a_registered_institution_when_registered_again_then_409_on_institution_id() -> None:
    then_rejected(when(ADMIN, *institution_registered(SCHOOL, M1), STATES), 409, "data.institution_id")


def test_when_a_coordinator_registers_an_institution_in_their_municipality_then_accepted() -> None:
    then_accepted_in(when(coordinator(M1), *institution_registered("inst-new", M1), STATES), M1)


def test_when_a_coordinator_registers_an_institution_elsewhere_then_403() -> None:
    then_rejected(when(coordinator(M1), *institution_registered("inst-new", M2), STATES), 403)


def test_when_a_coordinator_token_names_no_municipality_then_it_may_register_nothing() -> None:
    then_rejected(when(coordinator(), *institution_registered("inst-new", M1), STATES), 403)


# --- contacts --------------------------------------------------------------------------------


def test_when_admin_adds_a_contact_then_it_is_placed_in_the_institutions_municipality() -> None:
    then_accepted_in(when(ADMIN, *contact(CLINIC, "contact-new"), STATES), M2)


def test_when_a_contact_names_an_unknown_institution_then_404_on_institution_id() -> None:
    then_rejected(when(ADMIN, *contact("inst-nowhere", "contact-new"), STATES), 404,
                  "data.institution_id")


def test_given_a_contact_when_added_again_then_409_on_contact_id() -> None:
    then_rejected(when(ADMIN, *contact(SCHOOL, SCHOOL_CONTACT), STATES), 409, "data.contact_id")


def test_when_an_institution_adds_a_contact_to_itself_then_accepted() -> None:
    then_accepted_in(when(institution(SCHOOL), *contact(SCHOOL, "contact-new"), STATES), M1)


def test_when_an_institution_adds_a_contact_to_another_institution_then_403() -> None:
    then_rejected(when(institution(CLINIC), *contact(SCHOOL, "contact-new"), STATES), 403)


def test_when_another_institution_re_adds_an_existing_contact_then_403_before_any_409() -> None:
    then_rejected(when(institution(CLINIC), *contact(SCHOOL, SCHOOL_CONTACT), STATES), 403)


def test_when_a_coordinator_adds_a_contact_in_their_municipality_then_accepted() -> None:
    then_accepted_in(when(coordinator(M3), *contact(LIBRARY, "contact-new"), STATES), M3)


def test_when_a_coordinator_adds_a_contact_to_an_institution_elsewhere_then_403() -> None:
    then_rejected(when(coordinator(M2), *contact(SCHOOL, "contact-new"), STATES), 403)


# --- mediators -------------------------------------------------------------------------------


def test_when_admin_registers_a_mediator_then_it_is_placed_nationally() -> None:
    then_accepted_in(when(ADMIN, *mediator_registered("med-new", M1, M2), STATES), NATIONAL)


def test_when_a_mediator_names_an_unknown_municipality_then_404_on_municipality_ids() -> None:
    decision = when(ADMIN, *mediator_registered("med-new", M1, "atlantis"), STATES)
    then_rejected(decision, 404, "data.municipality_ids")


def test_when_a_coordinator_registers_a_mediator_in_their_municipality_then_accepted() -> None:
    then_accepted_in(when(coordinator(M1), *mediator_registered("med-new", M1), STATES), NATIONAL)


def test_when_a_coordinator_registers_a_mediator_partly_outside_their_scope_then_403() -> None:
    then_rejected(when(coordinator(M1), *mediator_registered("med-new", M1, M2), STATES), 403)


def test_given_a_mediator_in_two_municipalities_when_a_coordinator_of_one_narrows_them_then_403() -> None:
    # MED2 works in M1 and M2: a coordinator of M1 alone may not take M2 away.
    then_rejected(when(coordinator(M1), *mediator_registered(MED2, M1), STATES), 403)


def test_given_a_mediator_in_two_municipalities_when_a_coordinator_of_both_narrows_them_then_ok() -> None:
    then_accepted_in(when(coordinator(M1, M2), *mediator_registered(MED2, M1), STATES), NATIONAL)


def test_given_a_re_registered_mediator_then_the_new_municipalities_replace_the_old() -> None:
    states = given(*WORLD, by(ADMIN.subject, mediator_registered(MED, M2)))
    assert states[AggregateRef("mediator", MED)].body.municipalities == {M2}
