"""Strict JSON request bodies: one meaning per document, or a 400."""

from __future__ import annotations

import json
from typing import Any

from .problems import ProblemError


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    """Parse a UTF-8 JSON body; duplicate keys, NaN/Infinity, bad UTF-8 or depth bombs are a 400.

    A leading byte order mark, which some Windows tools write, is ignored (RFC 8259 allows it).
    """
    body = body.removeprefix(b"\xef\xbb\xbf")
    if not body:
        raise ProblemError(400, "the request body is empty; send a JSON document")
    try:
        text = body.decode("utf-8")
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except UnicodeDecodeError as error:
        raise ProblemError(400, f"the body is not valid UTF-8 (byte {error.start})") from error
    except RecursionError as error:
        raise ProblemError(400, "the JSON document is nested too deeply") from error
    except ValueError as error:  # JSONDecodeError, duplicate keys, huge integers
        raise ProblemError(400, f"malformed JSON: {error}") from error
