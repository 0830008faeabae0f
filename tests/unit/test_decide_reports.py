"""Monthly reports (mediator submits, coordinator reviews) and institutions' evaluations.

Given the standard WORLD (see givens.py) -> when a report or evaluation event is posted -> then
accepted (reports are national: `_`; evaluations live with the institution) or rejected.
"""

from __future__ import annotations

import pytest

from givens import (CLINIC, CLINIC_CONTACT, LIBRARIAN, M1, M2, M3, MED, MED2, SCHOOL, SCHOOL_CONTACT,
                    WORLD, by, coordinator, evaluation, given, institution, mediator, mediator_registered,
                    report, report_review, then_accepted_in, then_rejected, when)
from shared.bus.subjects import NATIONAL

STATES = given(*WORLD)
SUBMITTED = given(*WORLD, by(MED, report("rep-1", "2019-10")))


def _reviewed(*verdicts: str):
    return given(*WORLD, by(MED, report("rep-1", "2019-10")),
                 *(by("coord-1", report_review(v, "rep-1")) for v in verdicts))


# --- submitting ------------------------------------------------------------------------------


def test_when_a_registered_mediator_submits_a_report_then_it_is_placed_nationally() -> None:
    then_accepted_in(when(mediator(MED), *report("rep-1"), STATES), NATIONAL)


def test_when_an_unregistered_mediator_submits_a_report_then_403() -> None:
    then_rejected(when(mediator("med-unknown"), *report("rep-1"), STATES), 403)


def test_given_a_returned_report_when_resubmitted_then_accepted() -> None:
    then_accepted_in(when(mediator(MED), *report("rep-1", "2019-10"), _reviewed("returned")), NATIONAL)


def test_given_a_returned_and_resubmitted_report_when_reviewed_again_then_accepted() -> None:
    states = given(*WORLD, by(MED, report("rep-1", "2019-10")),
                   by("coord-1", report_review("returned", "rep-1")), by(MED, report("rep-1", "2019-10")))
    then_accepted_in(when(coordinator(M1), *report_review("approved", "rep-1"), states), NATIONAL)


@pytest.mark.parametrize("verdicts", [(), ("approved",)], ids=["submitted", "approved"])
def test_given_a_report_not_returned_when_resubmitted_then_409(verdicts) -> None:
    then_rejected(when(mediator(MED), *report("rep-1", "2019-10"), _reviewed(*verdicts)), 409)


def test_given_another_mediators_report_when_its_id_is_used_then_409_on_report_id() -> None:
    decision = when(mediator(MED2), *report("rep-1", "2019-10"), _reviewed("returned"))
    then_rejected(decision, 409, "data.report_id")


def test_given_a_returned_report_when_resubmitted_for_another_month_then_409_on_report_id() -> None:
    decision = when(mediator(MED), *report("rep-1", "2019-11"), _reviewed("returned"))
    then_rejected(decision, 409, "data.report_id")


# --- reviewing -------------------------------------------------------------------------------


@pytest.mark.parametrize("verdict", ["approved", "returned"])
def test_given_a_submitted_report_when_the_mediators_coordinator_reviews_it_then_accepted(verdict) -> None:
    then_accepted_in(when(coordinator(M1), *report_review(verdict, "rep-1"), SUBMITTED), NATIONAL)


@pytest.mark.parametrize("verdict", ["approved", "returned"])
def test_when_a_coordinator_of_other_municipalities_reviews_a_report_then_403(verdict) -> None:
    then_rejected(when(coordinator(M2, M3), *report_review(verdict, "rep-1"), SUBMITTED), 403)


@pytest.mark.parametrize("verdict", ["approved", "returned"])
def test_given_the_mediator_moved_after_submitting_then_the_coordinator_of_where_they_were_reviews(verdict) -> None:
    moved = given(*WORLD, by(MED, report("rep-1", "2019-10")), mediator_registered(MED, M3))
    then_accepted_in(when(coordinator(M1), *report_review(verdict, "rep-1"), moved), NATIONAL)
    then_rejected(when(coordinator(M3), *report_review(verdict, "rep-1"), moved), 403)


def test_given_the_mediator_moved_and_resubmitted_a_returned_report_then_the_new_coordinator_reviews() -> None:
    resubmitted = given(*WORLD, by(MED, report("rep-1", "2019-10")), by("coord-1", report_review("returned", "rep-1")),
                        mediator_registered(MED, M3), by(MED, report("rep-1", "2019-10")))
    then_accepted_in(when(coordinator(M3), *report_review("approved", "rep-1"), resubmitted), NATIONAL)
    then_rejected(when(coordinator(M1), *report_review("approved", "rep-1"), resubmitted), 403)


@pytest.mark.parametrize("verdict", ["approved", "returned"])
def test_given_a_mediator_in_two_municipalities_then_a_coordinator_of_either_reviews(verdict) -> None:
    states = given(*WORLD, by(MED2, report("rep-2")))
    then_accepted_in(when(coordinator(M2), *report_review(verdict, "rep-2"), states), NATIONAL)


@pytest.mark.parametrize("verdict", ["approved", "returned"])
@pytest.mark.parametrize("before", ["approved", "returned"])
def test_given_a_reviewed_report_when_reviewed_again_then_409(before: str, verdict: str) -> None:
    then_rejected(when(coordinator(M1), *report_review(verdict, "rep-1"), _reviewed(before)), 409)


@pytest.mark.parametrize("verdict", ["approved", "returned"])
def test_when_an_unknown_report_is_reviewed_then_404_on_report_id(verdict) -> None:
    then_rejected(when(coordinator(M1), *report_review(verdict, "rep-x"), STATES), 404, "data.report_id")


# --- evaluations -----------------------------------------------------------------------------


def test_when_an_institution_evaluates_a_mediator_then_placed_with_the_institution() -> None:
    decision = when(institution(CLINIC), *evaluation("ev-1", CLINIC, CLINIC_CONTACT, MED2), STATES)
    then_accepted_in(decision, M2)


def test_when_an_institution_submits_an_evaluation_in_another_institutions_name_then_403() -> None:
    decision = when(institution(CLINIC), *evaluation("ev-1", SCHOOL, SCHOOL_CONTACT, MED), STATES)
    then_rejected(decision, 403)


def test_given_an_evaluation_when_its_id_is_used_again_then_409_on_evaluation_id() -> None:
    states = given(*WORLD, by("teacher", evaluation("ev-1", SCHOOL, SCHOOL_CONTACT, MED)))
    decision = when(institution(SCHOOL), *evaluation("ev-1", SCHOOL, SCHOOL_CONTACT, MED), states)
    then_rejected(decision, 409, "data.evaluation_id")


def test_when_an_evaluation_names_another_institutions_contact_then_404_on_contact_id() -> None:
    decision = when(institution(SCHOOL), *evaluation("ev-1", SCHOOL, LIBRARIAN, MED), STATES)
    then_rejected(decision, 404, "data.contact_id")


def test_when_an_evaluation_names_an_unknown_mediator_then_404_on_mediator_id() -> None:
    decision = when(institution(SCHOOL), *evaluation("ev-1", SCHOOL, SCHOOL_CONTACT, "med-x"), STATES)
    then_rejected(decision, 404, "data.mediator_id")


def test_when_the_tokens_institution_is_not_registered_then_404_on_institution_id() -> None:
    decision = when(institution("inst-x"), *evaluation("ev-1", "inst-x", SCHOOL_CONTACT, MED), STATES)
    then_rejected(decision, 404, "data.institution_id")
