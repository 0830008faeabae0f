"""Strict JSON bodies: a document has one meaning, or the request is a 400."""

from __future__ import annotations

import json

import pytest

from shared.http.json_body import parse_json
from shared.http.problems import ProblemError


def _rejected(body: bytes) -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        parse_json(body)
    assert caught.value.status == 400
    return caught.value


def test_when_the_body_is_normal_json_with_latvian_text_then_it_is_parsed() -> None:
    body = json.dumps({"name": "Jelgavas valstspilsēta", "role": "sociālā pedagoģe",
                       "n": [1, 2.5, True, None]}, ensure_ascii=False).encode("utf-8")
    assert parse_json(body) == {"name": "Jelgavas valstspilsēta", "role": "sociālā pedagoģe",
                                "n": [1, 2.5, True, None]}


def test_when_latvian_text_is_escaped_then_it_reads_the_same() -> None:
    assert parse_json(b'"\\u0161\\u0113"') == "šē"


def test_when_the_body_is_a_bare_scalar_then_it_is_parsed() -> None:
    # Whether a scalar is acceptable is the endpoint's business (parse_event says 422).
    assert parse_json(b"42") == 42


def test_when_the_body_is_empty_then_400() -> None:
    assert "empty" in _rejected(b"").detail
    assert "empty" in _rejected(b"\xef\xbb\xbf").detail


def test_a_leading_byte_order_mark_is_ignored() -> None:
    # Windows tools (PowerShell's Out-File, Notepad) write one; RFC 8259 lets a parser ignore it.
    assert parse_json(b'\xef\xbb\xbf{"name": "R\xc4\xabga"}') == {"name": "Rīga"}


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"a": "\xc4"}', b'{"a": "\xed\xa0\x80"}'],
                         ids=["bom-like-bytes", "truncated-sequence", "encoded-surrogate"])
def test_when_the_body_is_not_valid_utf8_then_400(body: bytes) -> None:
    assert "UTF-8" in _rejected(body).detail


@pytest.mark.parametrize("body", [b'{"a": 1, "a": 2}', b'{"data": {"kind": "x", "kind": "y"}}',
                                  b'[{"x": {"y": {"z": 1, "z": 1}}}]'],
                         ids=["top-level", "nested", "deep-in-a-list"])
def test_when_a_key_is_repeated_then_400_even_with_the_same_value(body: bytes) -> None:
    assert "duplicate" in _rejected(body).detail


@pytest.mark.parametrize("body", [b"NaN", b'{"x": Infinity}', b"[-Infinity]"])
def test_when_the_body_holds_nan_or_infinity_then_400(body: bytes) -> None:
    _rejected(body)


def test_when_the_body_is_nested_100k_deep_then_400_not_a_crash() -> None:
    assert "deep" in _rejected(b"[" * 100_000 + b"]" * 100_000).detail


def test_when_the_body_is_objects_nested_100k_deep_then_400() -> None:
    _rejected(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)


def test_when_an_integer_has_5000_digits_then_400() -> None:
    _rejected(b'{"birth_year": ' + b"9" * 5000 + b"}")


@pytest.mark.parametrize("body", [b"{", b"{'a': 1}", b'{"a": 1,}', b"[1] [2]", b"   "],
                         ids=["unclosed", "single-quotes", "trailing-comma", "two-documents", "blank"])
def test_when_the_body_is_malformed_then_400(body: bytes) -> None:
    assert _rejected(body).detail.startswith("malformed JSON")


def test_a_rejection_does_not_echo_the_bodys_text() -> None:
    detail = _rejected(b'{"surname": "Zvirbul\xc4\x93vi\xc4\x8da", ').detail
    assert "Zvirbul" not in detail
