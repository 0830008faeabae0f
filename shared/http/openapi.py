"""Errors in the OpenAPI documents: every problem an operation answers, as application/problem+json.

Routes name the statuses they may answer with `responses=problems(...)`; `document_problems`
adds the one `Problem` schema they refer to, and turns the 422 FastAPI documents on its own
(its `HTTPValidationError`, which this API never sends) into a problem too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from .problems import MEDIA_TYPE, TITLES

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem", "description": "An RFC 9457 problem: what went wrong, for people and programs.",
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {"type": "array", "description": "Each bad field, for a 422 (and a 404 naming a reference)",
                   "items": {"type": "object", "required": ["field", "pointer", "detail"], "properties": {
                       "field": {"type": "string"}, "pointer": {"type": "string"}, "detail": {"type": "string"}}}},
        "current_version": {"type": "integer", "minimum": 0,
                            "description": "On a version conflict (409): the aggregate's version now"},
        "checks": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "On a /readyz 503: each dependency's state"},
    },
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "required": True,
                                "schema": {"type": "integer", "minimum": 1}}}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "The bearer scheme", "required": True, "schema": {"type": "string"}}},
    429: _RETRY_AFTER, 503: _RETRY_AFTER}
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def problem_response(status: int, *, also_html: bool = False) -> dict[str, Any]:
    """The OpenAPI response for one problem status (optionally also an HTML page for browsers)."""
    content: dict[str, Any] = {MEDIA_TYPE: {"schema": PROBLEM_REF}}
    if also_html:
        content["text/html"] = {"schema": {"type": "string"}}
    response: dict[str, Any] = {"description": TITLES.get(status, "Error"), "content": content}
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response


def problems(*statuses: int, also_html: bool = False) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status documented as a problem."""
    return {status: problem_response(status, also_html=also_html) for status in statuses}


def _without_fastapi_validation(responses: dict[str, Any]) -> None:
    answer = responses.get("422", {})
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("$ref", "").endswith("/HTTPValidationError"):
        responses["422"] = problem_response(422)


def amend_openapi(app: FastAPI, amend: Callable[[dict[str, Any]], None]) -> None:
    """Have `amend` change the app's OpenAPI document once, when it is generated (FastAPI keeps it).

    Amendments chain: each sees the document as the ones installed before it left it.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        amend(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def document_problems(app: FastAPI) -> None:
    """Make the app's OpenAPI document describe its errors as the problems they are."""
    def amend(document: dict[str, Any]) -> None:
        for path in document.get("paths", {}).values():
            for operation in path.values():
                _without_fastapi_validation(operation.get("responses", {}))
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name in _FASTAPI_VALIDATION:
            schemas.pop(name, None)
        schemas["Problem"] = PROBLEM_SCHEMA

    amend_openapi(app, amend)
