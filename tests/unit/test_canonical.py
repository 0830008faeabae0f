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


def _standard_library(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


# Stored events were hashed over the standard library's bytes: the faster encoder must agree exactly.
any_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]))
documents = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), any_text),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(any_text, inner, max_size=5)),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_the_bytes_are_the_standard_librarys_for_any_document(value) -> None:
    assert canonical_json(value) == _standard_library(value)


def test_every_code_point_is_written_as_the_standard_library_writes_it() -> None:
    for start in range(0, 0x110000, 0x1000):
        text = "".join(chr(c) for c in range(start, start + 0x1000) if not 0xD800 <= c <= 0xDFFF)
        assert canonical_json({"t": text, text[:8]: 1}) == _standard_library({"t": text, text[:8]: 1}), hex(start)


def test_integers_beyond_64_bits_and_plain_floats_are_written_as_the_standard_library_writes_them() -> None:
    for value in ({"n": 2**64}, {"n": -(2**80)}, {"f": 0.1}, {"f": 1e16}, {"f": 1.0}):
        assert canonical_json(value) == _standard_library(value)
