"""The contract's role table, row by row: each role allowed to post a type is accepted within
its scope and refused (403) outside it.

Who may post a type at all is checked at the edge (`SPECS[type].roles`, see
test_event_catalogue.py); here the decision's scope rules are exercised for exactly those roles:
a mediator in the municipalities they are registered for, a coordinator in the token's
municipalities, an institution on its own records, an admin anywhere.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from givens import (ADMIN, CASE, CLINIC, FAM, M1, M2, M3, MED, MED3, SCHOOL, SCHOOL_CONTACT, SON,
                    WORLD, Event, acknowledged, activity, by, case, case_closed, consent_withdrawn,
                    contact, cooperation, coordinator, disputed, erased, evaluation, family, given,
                    institution, institution_registered, mediator, mediator_registered,
                    municipality, outcome, person, referral, referral_answer, report,
                    report_review, then_accepted_in, then_rejected, when)
from shared.auth.tokens import Principal
from shared.bus.subjects import NATIONAL
from shared.events.catalogue import SPECS
from shared.roles import Role

# Earlier work the answering events need: a cooperation with the school, referrals to the
# clinic (one already accepted), a submitted report.
HISTORY = given(
    *WORLD,
    by(MED, cooperation("co-1", SCHOOL, SCHOOL_CONTACT, family_id=FAM)),
    by(MED, referral("ref-1", CASE, CLINIC)),
    by(MED, referral("ref-2", CASE, CLINIC)),
    by("nurse", referral_answer("accepted", "ref-2")),
    by(MED, report("rep-1")),
)


class Row(NamedTuple):
    event: Event
    placed_in: str
    scope: dict[Role, tuple[Principal, Principal | None]]  # role -> (in scope, out of scope)


_MEDIATOR = (mediator(MED), mediator(MED3))        # MED3 works in M2 only; the world is in M1
_COORDINATOR = (coordinator(M1), coordinator(M2, M3))
_ADMIN = (ADMIN, None)                             # an admin is never out of scope

ROWS: dict[str, Row] = {
    "tilts.municipality.registered": Row(municipality("rezekne"), "rezekne", {Role.ADMIN: _ADMIN}),
    "tilts.institution.registered": Row(institution_registered("inst-new", M1), M1,
                                        {Role.ADMIN: _ADMIN, Role.COORDINATOR: _COORDINATOR}),
    "tilts.institution.contact_added": Row(contact(SCHOOL, "contact-new"), M1, {
        Role.ADMIN: _ADMIN, Role.COORDINATOR: _COORDINATOR,
        Role.INSTITUTION: (institution(SCHOOL), institution(CLINIC))}),
    "tilts.mediator.registered": Row(mediator_registered("med-new", M1), NATIONAL,
                                     {Role.ADMIN: _ADMIN, Role.COORDINATOR: _COORDINATOR}),
    "tilts.family.registered": Row(family("fam-new", M1, personal=True), M1, {Role.MEDIATOR: _MEDIATOR}),
    "tilts.person.added": Row(person(FAM, "per-new"), M1, {Role.MEDIATOR: _MEDIATOR}),
    "tilts.family.consent_withdrawn": Row(consent_withdrawn(FAM), M1,
                                          {Role.MEDIATOR: _MEDIATOR, Role.COORDINATOR: _COORDINATOR}),
    "tilts.family.erased": Row(erased(FAM), M1, {Role.ADMIN: _ADMIN, Role.COORDINATOR: _COORDINATOR}),
    "tilts.case.opened": Row(case("case-new", FAM), M1, {Role.MEDIATOR: _MEDIATOR}),
    "tilts.case.closed": Row(case_closed(CASE), M1, {Role.MEDIATOR: _MEDIATOR}),
    "tilts.activity.recorded": Row(activity("act-new", case_id=CASE, person_ids=[SON]), M1,
                                   {Role.MEDIATOR: _MEDIATOR}),
    "tilts.cooperation.recorded": Row(cooperation("co-new", SCHOOL, SCHOOL_CONTACT, case_id=CASE), M1,
                                      {Role.MEDIATOR: _MEDIATOR}),
    "tilts.cooperation.acknowledged": Row(acknowledged("co-1", SCHOOL_CONTACT), M1, {
        Role.INSTITUTION: (institution(SCHOOL), institution(CLINIC))}),
    "tilts.cooperation.disputed": Row(disputed("co-1", SCHOOL_CONTACT), M1, {
        Role.INSTITUTION: (institution(SCHOOL), institution(CLINIC))}),
    "tilts.referral.made": Row(referral("ref-new", CASE, SCHOOL), M1, {Role.MEDIATOR: _MEDIATOR}),
    "tilts.referral.accepted": Row(referral_answer("accepted", "ref-1"), M1, {
        Role.INSTITUTION: (institution(CLINIC), institution(SCHOOL))}),
    "tilts.referral.completed": Row(referral_answer("completed", "ref-2"), M1, {
        Role.INSTITUTION: (institution(CLINIC), institution(SCHOOL))}),
    "tilts.referral.declined": Row(referral_answer("declined", "ref-1"), M1, {
        Role.INSTITUTION: (institution(CLINIC), institution(SCHOOL))}),
    "tilts.outcome.recorded": Row(outcome("out-new", CASE, [SON]), M1, {Role.MEDIATOR: _MEDIATOR}),
    "tilts.report.submitted": Row(report("rep-new"), NATIONAL, {
        Role.MEDIATOR: (mediator(MED), mediator("med-unregistered"))}),
    "tilts.report.approved": Row(report_review("approved", "rep-1"), NATIONAL,
                                 {Role.COORDINATOR: _COORDINATOR}),
    "tilts.report.returned": Row(report_review("returned", "rep-1"), NATIONAL,
                                 {Role.COORDINATOR: _COORDINATOR}),
    "tilts.evaluation.submitted": Row(evaluation("ev-new", SCHOOL, SCHOOL_CONTACT, MED), M1, {
        Role.INSTITUTION: (institution(SCHOOL), institution(CLINIC))}),
}

CELLS: list[tuple[str, Role]] = [(t, role) for t, row in ROWS.items() for role in row.scope]


def test_the_table_covers_every_type_and_exactly_the_roles_allowed_to_post_it() -> None:
    assert set(ROWS) == set(SPECS)
    for event_type, row in ROWS.items():
        assert set(row.scope) == SPECS[event_type].roles, event_type
        assert row.event[0] == event_type


@pytest.mark.parametrize(("event_type", "role"), CELLS, ids=[f"{t}-{r}" for t, r in CELLS])
def test_when_an_allowed_role_posts_within_its_scope_then_accepted_in_the_right_municipality(
        event_type: str, role: Role) -> None:
    row = ROWS[event_type]
    principal, _ = row.scope[role]
    then_accepted_in(when(principal, *row.event, HISTORY), row.placed_in)


OUT_OF_SCOPE = [(t, role) for t, role in CELLS if ROWS[t].scope[role][1] is not None]


@pytest.mark.parametrize(("event_type", "role"), OUT_OF_SCOPE, ids=[f"{t}-{r}" for t, r in OUT_OF_SCOPE])
def test_when_an_allowed_role_posts_outside_its_scope_then_403(event_type: str, role: Role) -> None:
    row = ROWS[event_type]
    _, outsider = row.scope[role]
    then_rejected(when(outsider, *row.event, HISTORY), 403)


def test_when_a_mediator_token_is_narrowed_to_another_municipality_then_every_mediator_row_is_403() -> None:
    # MED is registered for M1 only; a token for M2 grants nothing on top of the registration.
    narrowed = mediator(MED, M2)
    for event_type, row in ROWS.items():
        if Role.MEDIATOR in row.scope and row.placed_in != NATIONAL:
            then_rejected(when(narrowed, *row.event, HISTORY), 403)


@pytest.mark.parametrize("event", [
    activity("act-1", case_id=CASE),       # the case is closed: 409 to an insider
    case_closed(CASE),                     # already closed
    activity("act-2", family_id=FAM),      # the family is erased
    outcome("out-1", CASE),
], ids=["activity-on-closed-case", "close-closed-case", "activity-on-family", "outcome"])
def test_when_an_outsider_writes_on_a_closed_case_or_erased_family_then_403_tells_nothing_of_its_state(
        event: Event) -> None:
    closed_and_erased = given(*WORLD, by(MED, case_closed(CASE)), by(ADMIN.subject, erased(FAM)))
    for outsider in (mediator(MED3), coordinator(M2, M3)):
        rejection = then_rejected(when(outsider, *event, closed_and_erased), 403)
        assert "closed" not in rejection.detail and "erased" not in rejection.detail
    # An insider is told what is wrong.
    then_rejected(when(mediator(MED), *event, closed_and_erased), 409)
