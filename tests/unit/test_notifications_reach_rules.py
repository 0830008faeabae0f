"""Who sees which institutions' reach (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.auth.tokens import Principal
from shared.roles import Role
from services.notifications.domain.reach import ReachScope, reach_json, reach_scope
from services.notifications.domain.refusals import Refusal


def _who(role: Role, *municipalities: str, institution: str | None = None) -> Principal:
    return Principal(role, "someone", frozenset(municipalities), institution)


def test_admins_and_auditors_see_everything_or_what_they_filter() -> None:
    for role in (Role.ADMIN, Role.AUDITOR):
        assert reach_scope(_who(role), None, None, None) == ReachScope()
        assert reach_scope(_who(role), "jelgava", "school", "jelgava") == ReachScope(frozenset({"jelgava"}), "school")


def test_a_coordinator_sees_their_municipalities_and_is_refused_beyond_them() -> None:
    coordinator = _who(Role.COORDINATOR, "jelgava", "tukums")
    assert reach_scope(coordinator, None, None, None) == ReachScope(frozenset({"jelgava", "tukums"}))
    assert reach_scope(coordinator, "tukums", None, None) == ReachScope(frozenset({"tukums"}))
    assert reach_scope(coordinator, None, "school", "jelgava") == ReachScope(frozenset({"jelgava", "tukums"}), "school")
    assert isinstance(reach_scope(coordinator, "valmiera", None, None), Refusal)
    assert isinstance(reach_scope(coordinator, None, "school", "valmiera"), Refusal)
    # an institution the log has not named is simply not found: an empty listing
    assert reach_scope(coordinator, None, "nowhere", None) == ReachScope(frozenset({"jelgava", "tukums"}), "nowhere")


def test_an_institution_sees_only_itself_and_a_mediator_nothing() -> None:
    school = _who(Role.INSTITUTION, institution="school")
    assert reach_scope(school, None, None, None) == ReachScope(None, "school")
    assert reach_scope(school, None, "school", "jelgava") == ReachScope(None, "school")
    refused = reach_scope(school, None, "library", "jelgava")
    assert isinstance(refused, Refusal) and refused.status == 403
    assert isinstance(reach_scope(_who(Role.MEDIATOR, "jelgava"), None, None, None), Refusal)
    assert isinstance(reach_scope(_who(Role.INSTITUTION), None, None, None), Refusal)  # no institution named


def test_the_public_form_names_each_count() -> None:
    row = {"institution_id": "school", "name": "Skola", "municipality_id": "jelgava", "webhooks": 1, "emails": 2,
           "cooperations_total": 5, "cooperations_told": 3, "cooperations_answered": 2, "cooperations_untold": 1,
           "referrals_total": 0, "referrals_told": 0, "referrals_answered": 0, "referrals_untold": 0,
           "pending": 1, "failed": 0, "parked": 1, "last_told_at": datetime(2020, 1, 14, 8, tzinfo=UTC)}
    assert reach_json(row) == {
        "institution_id": "school", "name": "Skola", "municipality_id": "jelgava",
        "subscriptions": {"webhook": 1, "email": 2},
        "cooperations": {"total": 5, "told": 3, "answered": 2, "untold": 1},
        "referrals": {"total": 0, "told": 0, "answered": 0, "untold": 0},
        "deliveries": {"pending": 1, "failed": 0, "parked": 1}, "last_told_at": "2020-01-14T08:00:00+00:00"}
