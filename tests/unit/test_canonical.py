"""Canonical JSON: the one byte form hashes and fingerprints are computed over."""

from __future__ import annotations

import hashlib
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.canonical import canonical_json, sha256_hex

# What Tilts payloads hold: strings, integers, booleans, null, lists and objects (no floats).
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.text(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
objects = st.dictionaries(st.text(max_size=8), values, max_size=6)


def test_keys_are_sorted_at_every_level() -> None:
    assert canonical_json({"b": 1, "a": {"d": 2, "c": 3}}) == b'{"a":{"c":3,"d":2},"b":1}'


def test_there_is_no_insignificant_whitespace() -> None:
    assert canonical_json({"a": [1, 2], "b": {"c": None}}) == b'{"a":[1,2],"b":{"c":null}}'


def test_text_is_utf8_not_escaped() -> None:
    out = canonical_json({"vārds": "Ilze Bērziņa, sociālā pedagoģe"})
    assert out == '{"vārds":"Ilze Bērziņa, sociālā pedagoģe"}'.encode("utf-8")
    assert b"\\u" not in out


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(value: float) -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": value})


def test_sha256_hex_is_lower_case_hex_of_the_bytes() -> None:
    assert sha256_hex(b"tilts") == hashlib.sha256(b"tilts").hexdigest()
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _reordered(node, order):
    if isinstance(node, dict):
        return {k: _reordered(node[k], order) for k in order(list(node))}
    if isinstance(node, list):
        return [_reordered(v, order) for v in node]
    return node


@settings(max_examples=40, deadline=None)
@given(objects)
def test_the_same_object_in_any_key_order_gives_the_same_bytes(value: dict) -> None:
    # hypothesis builds dicts in arbitrary insertion order; reverse and sort them as well.
    for order in (lambda keys: keys[::-1], sorted, lambda keys: sorted(keys, reverse=True)):
        assert canonical_json(_reordered(value, order)) == canonical_json(value)


@settings(max_examples=40, deadline=None)
@given(values)
def test_canonical_bytes_read_back_as_the_same_value_and_are_a_fixed_point(value) -> None:
    out = canonical_json(value)
    assert json.loads(out.decode("utf-8")) == value
    assert canonical_json(json.loads(out)) == out
