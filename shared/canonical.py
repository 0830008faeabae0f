"""Canonical JSON: the one byte form that hashes, fingerprints and reports are computed over."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson


def canonical_json(value: Any) -> bytes:
    """Serialise with sorted keys, no insignificant whitespace and UTF-8 text.

    Tilts payloads hold only strings, integers, booleans, null, lists and objects (no floats),
    so this agrees with RFC 8785 (JCS) for everything we store.

    The bytes are exactly those of `json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)` (hashes of stored events depend on it; tests/unit/test_canonical.py
    checks every code point and random documents). orjson makes them several times faster.
    What it does not take (integers beyond 64 bits) goes to the standard library, and so does
    anything with a `null` in it: orjson writes NaN and infinities as null, the standard library
    refuses them, and stored events seldom hold a null.
    """
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _standard(value)
    return _standard(value) if b"null" in encoded else encoded


def _standard(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()
