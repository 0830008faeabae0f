"""Cooperations, referrals and monthly reports as state machines, explored by hypothesis.

Each machine keeps a plain model of what should be (who answered what, which status a referral
or report has) and, whatever order hypothesis tries, checks every `decide` against it: accepted
exactly when the model allows, otherwise the rejection the contract names (404 unknown, 403 not
yours, 409 wrong state). Accepted events are folded in with `evolve` as the intake does, so the
next decision sees them, and the aggregate's state must equal the model after every step.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from givens import (CASE, CLINIC, CLINIC_CONTACT, M1, M2, M3, MED, MED2, SCHOOL, SCHOOL_CONTACT, WORLD,
                    Event, States, acknowledged, case_closed, coordinator, cooperation, disputed, given,
                    institution, mediator, record, referral, referral_answer, report, report_review, when)
from services.intake.domain.decide import Accepted
from services.intake.domain.rejections import Rejection
from shared.auth.tokens import Principal
from shared.bus.subjects import NATIONAL
from shared.events.base import AggregateRef

STEPS = settings(max_examples=60, stateful_step_count=30, deadline=None)
INSTITUTIONS = {SCHOOL: institution(SCHOOL), CLINIC: institution(CLINIC)}
CONTACTS = {SCHOOL: SCHOOL_CONTACT, CLINIC: CLINIC_CONTACT}
PLACES = {SCHOOL: M1, CLINIC: M2}  # a cooperation with no family lives where its institution is


class Machine(RuleBasedStateMachine):
    """Shared bookkeeping: the states so far, and how a decision is checked and folded in."""

    def __init__(self) -> None:
        super().__init__()
        self.states: States = given(*WORLD)

    def post(self, principal: Principal, event: Event, expected: int | None, where: str) -> bool:
        """Decide `event`; it must be accepted iff `expected` is None, else rejected with that status."""
        decision = when(principal, *event, self.states)
        if expected is None:
            assert decision == Accepted(where), decision
            self.states = record(self.states, *event, principal.subject, decision.municipality)
            return True
        assert isinstance(decision, Rejection) and decision.status == expected, (expected, decision)
        return False

    def body(self, aggregate: str, aggregate_id: str) -> object:
        state = self.states.get(AggregateRef(aggregate, aggregate_id))
        return state.body if state is not None else None


# --- cooperations: recorded by a mediator, then acknowledged or disputed once, by its institution

cooperation_ids = st.sampled_from(["coop-1", "coop-2", "coop-3"])
institution_ids = st.sampled_from(sorted(INSTITUTIONS))
answers = st.sampled_from(["acknowledged", "disputed"])


class CooperationLifecycle(Machine):
    def __init__(self) -> None:
        super().__init__()
        self.recorded: dict[str, str] = {}        # cooperation -> its institution
        self.answered: dict[str, str] = {}        # cooperation -> acknowledged | disputed

    @rule(cooperation_id=cooperation_ids, institution_id=institution_ids)
    def a_mediator_records_a_cooperation(self, cooperation_id: str, institution_id: str) -> None:
        # MED2 works in M1 and M2, where the school and the clinic are.
        event = cooperation(cooperation_id, institution_id, CONTACTS[institution_id])
        expected = 409 if cooperation_id in self.recorded else None
        if self.post(mediator(MED2), event, expected, PLACES[institution_id]):
            self.recorded[cooperation_id] = institution_id

    @rule(cooperation_id=cooperation_ids, answer=answers, answerer=institution_ids, contact_of=institution_ids)
    def an_institution_answers(self, cooperation_id: str, answer: str, answerer: str, contact_of: str) -> None:
        named = self.recorded.get(cooperation_id)
        expected = (404 if named is None else 403 if answerer != named else 404 if contact_of != named
                    else 409 if cooperation_id in self.answered else None)
        make = acknowledged if answer == "acknowledged" else disputed
        if self.post(INSTITUTIONS[answerer], make(cooperation_id, CONTACTS[contact_of]), expected,
                     PLACES.get(named or "", "")):
            self.answered[cooperation_id] = answer

    @invariant()
    def each_cooperation_is_as_answered(self) -> None:
        for cooperation_id, institution_id in self.recorded.items():
            body = self.body("cooperation", cooperation_id)
            assert body.institution_id == institution_id  # type: ignore[attr-defined]
            assert body.answer == self.answered.get(cooperation_id)  # type: ignore[attr-defined]


CooperationLifecycle.TestCase.settings = STEPS
test_a_cooperation_is_answered_once_and_only_by_the_institution_it_names = CooperationLifecycle.TestCase


# --- referrals: made on an open case, then accepted, completed or declined by their institution

referral_ids = st.sampled_from(["ref-1", "ref-2", "ref-3"])
moves = st.sampled_from(["accepted", "completed", "declined"])
ALLOWED_FROM = {"accepted": {"made"}, "completed": {"accepted"}, "declined": {"made", "accepted"}}


class ReferralLifecycle(Machine):
    def __init__(self) -> None:
        super().__init__()
        self.case_open = True
        self.made: dict[str, str] = {}      # referral -> its institution
        self.status: dict[str, str] = {}    # referral -> made | accepted | completed | declined

    @rule(referral_id=referral_ids, institution_id=institution_ids)
    def a_mediator_refers_the_family(self, referral_id: str, institution_id: str) -> None:
        expected = 409 if referral_id in self.made or not self.case_open else None
        if self.post(mediator(MED), referral(referral_id, CASE, institution_id), expected, M1):
            self.made[referral_id], self.status[referral_id] = institution_id, "made"

    @rule(referral_id=referral_ids, move=moves, answerer=institution_ids)
    def an_institution_answers(self, referral_id: str, move: str, answerer: str) -> None:
        named = self.made.get(referral_id)
        expected = (404 if named is None else 403 if answerer != named
                    else 409 if self.status[referral_id] not in ALLOWED_FROM[move] else None)
        if self.post(INSTITUTIONS[answerer], referral_answer(move, referral_id), expected, M1):
            self.status[referral_id] = move

    @rule()
    def the_mediator_closes_the_case(self) -> None:
        if self.post(mediator(MED), case_closed(CASE, "referred"), None if self.case_open else 409, M1):
            self.case_open = False

    @invariant()
    def each_referral_is_where_its_answers_took_it(self) -> None:
        for referral_id, institution_id in self.made.items():
            body = self.body("referral", referral_id)
            assert body.institution_id == institution_id  # type: ignore[attr-defined]
            assert body.status == self.status[referral_id]  # type: ignore[attr-defined]


ReferralLifecycle.TestCase.settings = STEPS
test_a_referral_moves_only_forward_and_only_by_its_institution = ReferralLifecycle.TestCase


# --- monthly reports: submitted by a mediator, approved or returned by a coordinator of theirs,
# --- and only a returned report is submitted again (by the same mediator, for the same month)

report_ids = st.sampled_from(["rep-1", "rep-2"])
months = st.sampled_from(["2019-10", "2019-11"])
authors = st.sampled_from([MED, MED2, "med-unregistered"])
verdicts = st.sampled_from(["approved", "returned"])
# A coordinator of M1 reviews MED's and MED2's reports; one of M3 reviews neither.
reviewers = st.sampled_from([coordinator(M1, subject="coord-m1"), coordinator(M3, subject="coord-m3")])


class ReportLifecycle(Machine):
    def __init__(self) -> None:
        super().__init__()
        self.reports: dict[str, tuple[str, str, str]] = {}  # report -> (mediator, month, status)

    def _submission_refusal(self, report_id: str, author: str, month: str) -> int | None:
        if author not in (MED, MED2):
            return 403
        if report_id not in self.reports:
            return None
        owner, owned_month, status = self.reports[report_id]
        return 409 if (owner, owned_month) != (author, month) or status != "returned" else None

    @rule(report_id=report_ids, author=authors, month=months)
    def a_mediator_submits(self, report_id: str, author: str, month: str) -> None:
        expected = self._submission_refusal(report_id, author, month)
        if self.post(mediator(author), report(report_id, month), expected, NATIONAL):
            self.reports[report_id] = (author, month, "submitted")

    @rule(report_id=report_ids, verdict=verdicts, reviewer=reviewers)
    def a_coordinator_reviews(self, report_id: str, verdict: str, reviewer: Principal) -> None:
        found = self.reports.get(report_id)
        expected = (404 if found is None else 403 if M1 not in reviewer.municipalities
                    else 409 if found[2] != "submitted" else None)
        if self.post(reviewer, report_review(verdict, report_id), expected, NATIONAL):
            self.reports[report_id] = (*found[:2], verdict)  # type: ignore[index]

    @invariant()
    def each_report_has_its_author_month_and_status(self) -> None:
        for report_id, (author, month, status) in self.reports.items():
            body = self.body("report", report_id)
            assert (body.mediator_id, body.month, body.status) == (author, month, status)  # type: ignore[attr-defined]


ReportLifecycle.TestCase.settings = STEPS
test_a_report_is_reviewed_once_per_submission_and_resubmitted_only_when_returned = ReportLifecycle.TestCase
