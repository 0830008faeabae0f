"""Canonical JSON: the one byte form that hashes, fingerprints and reports are computed over."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Serialise with sorted keys, no insignificant whitespace and UTF-8 text.

    Tilts payloads hold only strings, integers, booleans, null, lists and objects (no floats),
    so this agrees with RFC 8785 (JCS) for everything we store.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()
