"""Optimistic concurrency: `expectedversion` is the aggregate version the client saw.

Given an aggregate at version N -> when an event expects version E -> then E == N decides on
the merits, and E != N is a 409 version conflict that tells the current version, before any
other rule is looked at.
"""

from __future__ import annotations

from givens import (CASE, FAM, M1, MED, SON, WORLD, activity, by, case_closed, family, given,
                    mediator, person, then_accepted_in, then_rejected, when)
from shared.events.base import AggregateRef

STATES = given(*WORLD)  # FAM: registered + 2 persons = version 3; CASE: opened = version 1


def test_given_the_world_then_aggregate_versions_count_their_events() -> None:
    assert STATES[AggregateRef("family", FAM)].version == 3
    assert STATES[AggregateRef("case", CASE)].version == 1


def test_when_the_expected_version_is_the_current_one_then_the_event_is_decided_on_its_merits() -> None:
    then_accepted_in(when(mediator(MED), *person(FAM, "per-new"), STATES, expected_version=3), M1)


def test_when_the_expected_version_is_stale_then_409_with_the_current_version() -> None:
    rejection = then_rejected(when(mediator(MED), *person(FAM, "per-new"), STATES, expected_version=2), 409)
    assert rejection.kind == "version-conflict"
    assert rejection.current_version == 3
    assert "2" in rejection.detail and "3" in rejection.detail


def test_when_the_expected_version_is_ahead_then_409_with_the_current_version() -> None:
    rejection = then_rejected(when(mediator(MED), *person(FAM, "per-new"), STATES, expected_version=9), 409)
    assert rejection.current_version == 3


def test_when_a_new_aggregate_is_expected_at_version_0_then_accepted() -> None:
    then_accepted_in(when(mediator(MED), *family("fam-new", M1), STATES, expected_version=0), M1)


def test_given_an_existing_aggregate_when_expected_at_version_0_then_409_with_its_version() -> None:
    rejection = then_rejected(when(mediator(MED), *family(FAM, M1), STATES, expected_version=0), 409)
    assert (rejection.kind, rejection.current_version) == ("version-conflict", 3)


def test_when_an_activity_on_a_case_expects_a_version_then_it_is_the_cases_version() -> None:
    event = activity("act-1", case_id=CASE, person_ids=[SON])
    then_accepted_in(when(mediator(MED), *event, STATES, expected_version=1), M1)
    assert then_rejected(when(mediator(MED), *event, STATES, expected_version=3), 409).current_version == 1


def test_given_a_closed_case_when_a_stale_version_is_expected_then_the_version_conflict_comes_first() -> None:
    closed = given(*WORLD, by(MED, case_closed(CASE)))
    rejection = then_rejected(when(mediator(MED), *activity("act-1", case_id=CASE), closed,
                                   expected_version=1), 409)
    assert (rejection.kind, rejection.current_version) == ("version-conflict", 2)


def test_when_no_version_is_expected_then_any_version_is_fine() -> None:
    then_accepted_in(when(mediator(MED), *person(FAM, "per-new"), STATES, expected_version=None), M1)
