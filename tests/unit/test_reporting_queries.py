"""Reading parameters: scopes per role, pages and cursors, query values (all pure)."""

from __future__ import annotations

import re

from datetime import UTC, date, datetime

import pytest

from services.reporting.application.errors import BadQuery, NotAllowed
from services.reporting.application.paging import (PageRequest, cursor_key, decode_cursor, encode_cursor, page,
                                                   page_request)
from services.reporting.application.periods import Period
from services.reporting.application.scope import scope_of
from services.reporting.entrypoints import params
from shared.auth.tokens import Principal
from shared.roles import Role


def test_a_mediator_reads_the_municipalities_of_their_registration_narrowed_by_their_token() -> None:
    mediator = Principal(Role.MEDIATOR, "med-1")
    assert scope_of(mediator, ("jelgava", "balvi")).municipalities == {"jelgava", "balvi"}
    narrowed = Principal(Role.MEDIATOR, "med-1", municipalities=frozenset({"balvi"}))
    assert scope_of(narrowed, ("jelgava", "balvi")).municipalities == {"balvi"}
    assert scope_of(mediator, None).municipalities == frozenset()


def test_a_coordinator_reads_their_municipalities_and_auditors_and_admins_everything() -> None:
    coordinator = scope_of(Principal(Role.COORDINATOR, "c", municipalities=frozenset({"jelgava"})), None)
    assert coordinator.covers("jelgava") and not coordinator.covers("riga")
    for role in (Role.AUDITOR, Role.ADMIN):
        assert scope_of(Principal(role, "a"), None).covers("riga")


def test_an_institution_covers_no_municipality_and_never_reads_a_family() -> None:
    scope = scope_of(Principal(Role.INSTITUTION, "school-api", institution="inst-1"), None)
    assert scope.institution == "inst-1" and not scope.covers("jelgava")
    with pytest.raises(NotAllowed):
        scope.require_family_reader()


def test_personal_data_opens_for_a_mediator_and_for_others_only_with_a_reason() -> None:
    assert scope_of(Principal(Role.MEDIATOR, "m"), ("jelgava",)).may_open_personal(None)
    for role in (Role.AUDITOR, Role.ADMIN, Role.COORDINATOR):
        scope = scope_of(Principal(role, "a", municipalities=frozenset({"jelgava"})), None)
        assert not scope.may_open_personal(None) and scope.may_open_personal("tiesas pieprasījums Nr. 7")
    assert not scope_of(Principal(Role.INSTITUTION, "i", institution="x"), None).may_open_personal("why")


def test_a_cursor_carries_the_last_key_and_the_first_pages_sequence() -> None:
    cursor = encode_cursor(["2020-01-14T08:00:00+00:00", "co-1"], 42)
    assert decode_cursor(cursor) == (("2020-01-14T08:00:00+00:00", "co-1"), 42)
    assert page_request(10, cursor) == PageRequest(10, ("2020-01-14T08:00:00+00:00", "co-1"), 42)


@pytest.mark.parametrize("cursor", ["", "!!!", "eyJrIjogMX0", encode_cursor([1], 3)[:-2] + "@@"])
def test_a_cursor_we_did_not_give_out_is_a_bad_query(cursor: str) -> None:
    with pytest.raises(BadQuery) as raised:
        page_request(None, cursor)
    assert raised.value.field == "cursor"


def test_a_cursor_of_another_listing_is_a_bad_query() -> None:
    with pytest.raises(BadQuery):
        cursor_key(PageRequest(10, ("not-a-number",), 1), int)
    assert cursor_key(PageRequest(10, (7,), 1), int) == (7,)


@pytest.mark.parametrize("limit", [0, 1001])
def test_a_page_holds_1_to_1000_items(limit: int) -> None:
    with pytest.raises(BadQuery):
        page_request(limit, None)


def test_a_page_gives_a_next_cursor_only_when_more_items_exist() -> None:
    rows = [{"n": n} for n in range(1, 5)]
    first = page(rows, PageRequest(3), 9, key=lambda r: [r["n"]], item=dict)
    assert [i["n"] for i in first["items"]] == [1, 2, 3] and decode_cursor(first["next"]) == ((3,), 9)
    assert page(rows[:3], PageRequest(3), 9, key=lambda r: [r["n"]], item=dict)["next"] is None


def test_a_period_is_two_inclusive_days_in_order() -> None:
    assert params.period("2019-09-01", "2020-04-30") == Period(date(2019, 9, 1), date(2020, 4, 30))
    for first, last, field in (("2020-02-01", "2020-01-01", "to"), ("2020-13-01", "2020-12-01", "from"),
                               (None, "2020-01-01", "from"), ("2020-01-01", "20200101", "to")):
        with pytest.raises(BadQuery) as raised:
            params.period(first, last)
        assert raised.value.field == field


def test_a_month_of_february_ends_on_its_last_day() -> None:
    assert Period.of_month("2020-02").last_day == date(2020, 2, 29)


def test_the_documented_parameter_patterns_take_what_the_reads_take() -> None:
    month, ident, bound = (re.compile(p) for p in (params.MONTH_PATTERN, params.ID_PATTERN, params.BOUND_PATTERN))
    assert all(month.match(m) for m in ("2020-02", "2000-01", "2100-12"))
    assert not any(month.match(m) for m in ("2020-13", "1999-05", "2020-1", "2101-01", "0000-01"))
    assert ident.match("fam-1.a:b_c") and not ident.match("fam 1") and not ident.match("x" * 65)
    for text in ("2020-03-29", "2020-01-14T10:00:00+02:00", " 2020-01-14t10:00z ", "2020-01-14 10:00:00.5-01:00"):
        assert bound.match(text), text
        params.bound("from", text, upper=False)  # and the read takes it
    assert not bound.match("14.01.2020") and not bound.match("2020-01-14T10:00:00")

def test_time_bounds_take_whole_riga_days_or_exact_instants() -> None:
    assert params.bound("from", "2020-03-29", upper=False) == datetime(2020, 3, 28, 22, 0, tzinfo=UTC)
    assert params.bound("to", "2020-03-29", upper=True) == datetime(2020, 3, 29, 21, 0, tzinfo=UTC)
    assert params.bound("to", "2020-01-14T10:00:00+02:00", upper=True) == datetime(2020, 1, 14, 8, 0, 0, 1, tzinfo=UTC)
    with pytest.raises(BadQuery):
        params.bound("from", "2020-01-14T10:00:00", upper=False)


def test_a_reason_is_one_short_line() -> None:
    assert params.reason("  tiesas pieprasījums  ") == "tiesas pieprasījums"
    assert params.reason("   ") is None
    for says_nothing in ("\u200b", "\ufeff", "\u200b\u200b", "-", ".", "\u00a0", "\u3000"):
        assert params.reason(says_nothing) is None, repr(says_nothing)  # no reason: data stays withheld
    assert params.reason("\u200btiesas pieprasījums") == "tiesas pieprasījums"
    with pytest.raises(BadQuery):
        params.reason("line one\nline two")


def test_a_period_splits_into_whole_months_and_the_days_at_either_end() -> None:
    months, edges = Period(date(2019, 9, 15), date(2020, 2, 10)).whole_months()
    assert months == [date(2019, 10, 1), date(2019, 11, 1), date(2019, 12, 1), date(2020, 1, 1)]
    assert edges == [Period(date(2019, 9, 15), date(2019, 9, 30)), Period(date(2020, 2, 1), date(2020, 2, 10))]
    assert Period(date(2020, 1, 1), date(2020, 12, 31)).whole_months() == (
        [date(2020, m, 1) for m in range(1, 13)], [])
    assert Period(date(2020, 3, 29), date(2020, 3, 31)).whole_months() == (
        [], [Period(date(2020, 3, 29), date(2020, 3, 31))])
