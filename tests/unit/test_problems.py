"""RFC 9457 problem details and the JSON pointers (RFC 6901) that name bad fields."""

from __future__ import annotations

import pytest

from shared.http.problems import KINDS, PROBLEM_BASE, TITLES, ProblemError, pointer, problem_body


@pytest.mark.parametrize(("field", "expected"), [
    ("data", "#/data"),
    ("data.person_ids.0", "#/data/person_ids/0"),
    ("data.a~b", "#/data/a~0b"),
    ("data.a/b", "#/data/a~1b"),
    ("data.~1", "#/data/~01"),     # "~" escaped first, so a literal "~1" stays two characters
    ("data./~", "#/data/~1~0"),
])
def test_pointer_turns_a_dotted_field_into_an_escaped_json_pointer(field: str, expected: str) -> None:
    assert pointer(field) == expected


def test_a_problem_has_type_title_status_and_detail() -> None:
    body = problem_body(409, "case case-1 is closed")
    assert body == {"type": PROBLEM_BASE + "conflict", "title": "Conflict", "status": 409,
                    "detail": "case case-1 is closed"}


@pytest.mark.parametrize("status", sorted(TITLES))
def test_every_known_status_has_its_own_type_and_title(status: int) -> None:
    body = problem_body(status, "x")
    assert body["type"] == PROBLEM_BASE + KINDS[status] and body["title"] == TITLES[status]
    assert body["type"].startswith("https://")


def test_an_unknown_status_still_has_a_type_and_title() -> None:
    body = problem_body(418, "teapot")
    assert body["type"] == PROBLEM_BASE + "error" and body["title"] == "Error" and body["status"] == 418


def test_kind_and_title_can_be_given() -> None:
    body = problem_body(409, "x", kind="version-conflict", title="Version conflict")
    assert body["type"] == PROBLEM_BASE + "version-conflict" and body["title"] == "Version conflict"


def test_validation_errors_name_each_field_with_its_pointer_and_detail() -> None:
    body = problem_body(422, "2 field(s) do not match", errors=[
        ("data.kind", "Input should be 'home_visit', ..."), ("data.person_ids.1", "Id must be ...")])
    assert body["errors"] == [
        {"field": "data.kind", "pointer": "#/data/kind", "detail": "Input should be 'home_visit', ..."},
        {"field": "data.person_ids.1", "pointer": "#/data/person_ids/1", "detail": "Id must be ..."},
    ]


def test_errors_may_be_any_iterable_and_are_left_out_when_empty() -> None:
    assert "errors" not in problem_body(422, "x", errors=iter(()))
    assert len(problem_body(422, "x", errors=(e for e in [("a", "b")]))["errors"]) == 1


def test_extension_members_are_added_and_none_values_left_out() -> None:
    body = problem_body(409, "x", current_version=3, field="data.case_id", nothing=None)
    assert body["current_version"] == 3 and body["field"] == "data.case_id" and "nothing" not in body


def test_a_problem_error_carries_its_status_detail_headers_and_members() -> None:
    error = ProblemError(503, "the log is down", headers={"Retry-After": "2"}, kind="unavailable")
    assert (error.status, error.detail, error.headers, error.kwargs) == (
        503, "the log is down", {"Retry-After": "2"}, {"kind": "unavailable"})
    assert str(error) == "the log is down"
