"""NATS subjects `<prefix>.<municipality>.<aggregate type>.<aggregate id>`, for any valid id."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.bus.subjects import NATIONAL, Subjects, decode_token, encode_token

SUBJECTS = Subjects("tilts.ev")
FAST = settings(max_examples=50, deadline=None)
ids = st.from_regex(r"\A[A-Za-z0-9._:-]{1,64}\Z")
aggregate_types = st.sampled_from(["municipality", "institution", "mediator", "family", "case",
                                   "activity", "cooperation", "referral", "report", "evaluation"])
municipalities = st.one_of(st.just(NATIONAL), ids)


@FAST
@given(ids)
def test_any_valid_id_round_trips_through_a_subject_token(value: str) -> None:
    assert decode_token(encode_token(value)) == value


@FAST
@given(ids)
def test_a_token_holds_no_separator_wildcard_or_whitespace(value: str) -> None:
    token = encode_token(value)
    assert token and not re.search(r"[.*>\s]", token)


@FAST
@given(municipalities, aggregate_types, ids)
def test_an_aggregates_subject_parses_back_into_its_parts(municipality: str, aggregate_type: str,
                                                          aggregate_id: str) -> None:
    subject = SUBJECTS.aggregate(municipality, aggregate_type, aggregate_id)
    assert subject.startswith("tilts.ev.") and len(subject.split(".")) == 5
    assert SUBJECTS.parse(subject) == (municipality, aggregate_type, aggregate_id)


@FAST
@given(municipalities, aggregate_types, ids)
def test_the_any_municipality_filter_differs_only_in_the_municipality_token(
        municipality: str, aggregate_type: str, aggregate_id: str) -> None:
    subject = SUBJECTS.aggregate(municipality, aggregate_type, aggregate_id).split(".")
    wildcard = SUBJECTS.any_municipality(aggregate_type, aggregate_id).split(".")
    assert wildcard[2] == "*" and subject[:2] + subject[3:] == wildcard[:2] + wildcard[3:]


def test_a_dotted_id_is_written_with_tildes() -> None:
    assert SUBJECTS.aggregate("jelgava", "case", "case.2019.17") == "tilts.ev.jelgava.case.case~2019~17"


def test_filters_by_type_and_everything() -> None:
    assert SUBJECTS.of_types("case", "family") == ["tilts.ev.*.case.*", "tilts.ev.*.family.*"]
    assert SUBJECTS.all() == "tilts.ev.>"
