"""A case's lifecycle, explored by hypothesis: open, work on it, close it, try to work on after.

Whatever the order: an activity is accepted iff the case is open and its id is new; an outcome
is accepted iff its id is new (open or closed); closing is accepted iff the case is open; an
expected version is honoured iff it is the case's current one. Accepted events are folded into
the state exactly as the intake does, so the next decision sees them.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from givens import (CASE, M1, MED, SON, WORLD, activity, case_closed, given, mediator, outcome,
                    record, when)
from services.intake.domain.decide import Accepted
from services.intake.domain.rejections import Rejection
from shared.events.base import AggregateRef

CASE_REF = AggregateRef("case", CASE)
PRINCIPAL = mediator(MED)
BASE = given(*WORLD)

activity_ids = st.sampled_from([f"act-{i}" for i in range(5)])
outcome_ids = st.sampled_from([f"out-{i}" for i in range(4)])
expectations = st.sampled_from(["none", "current", "stale", "ahead"])


class CaseLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.states = BASE
        self.open = True
        self.activities: set[str] = set()
        self.outcomes: set[str] = set()
        self.version = 1  # case.opened

    def _expected(self, how: str) -> int | None:
        return {"none": None, "current": self.version, "stale": self.version - 1,
                "ahead": self.version + 1}[how]

    def _post(self, event: tuple[str, dict], how: str, acceptable: bool) -> bool:
        decision = when(PRINCIPAL, *event, self.states, expected_version=self._expected(how))
        if how in ("stale", "ahead"):
            assert isinstance(decision, Rejection) and decision.kind == "version-conflict", decision
            assert decision.current_version == self.version
            return False
        if acceptable:
            assert decision == Accepted(M1), decision
            self.states = record(self.states, *event, PRINCIPAL.subject, decision.municipality)
            self.version += 1
            return True
        assert isinstance(decision, Rejection) and decision.status == 409, decision
        return False

    @rule(activity_id=activity_ids, how=expectations)
    def record_an_activity(self, activity_id: str, how: str) -> None:
        event = activity(activity_id, case_id=CASE, person_ids=[SON])
        if self._post(event, how, self.open and activity_id not in self.activities):
            self.activities.add(activity_id)

    @rule(outcome_id=outcome_ids, how=expectations)
    def record_an_outcome(self, outcome_id: str, how: str) -> None:
        if self._post(outcome(outcome_id, CASE, [SON]), how, outcome_id not in self.outcomes):
            self.outcomes.add(outcome_id)

    @precondition(lambda self: len(self.activities) >= 1 or not self.open)
    @rule(how=expectations)
    def close_the_case(self, how: str) -> None:
        if self._post(case_closed(CASE), how, self.open):
            self.open = False

    @invariant()
    def the_case_state_matches_the_model(self) -> None:
        state = self.states[CASE_REF]
        assert state.version == self.version
        assert state.body.open is self.open
        assert state.body.activities == self.activities
        assert state.body.outcomes == self.outcomes
        assert len(state.applied) == self.version


CaseLifecycle.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
test_a_case_takes_activities_only_while_open_and_outcomes_whenever_their_id_is_new = CaseLifecycle.TestCase
