"""RFC 9457 problem details: every error any Tilts service answers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from shared.db.pool import UNAVAILABLE as DB_UNAVAILABLE

log = structlog.get_logger(__name__)

PROBLEM_BASE = "https://tilts.example/problems/"
MEDIA_TYPE = "application/problem+json"

TITLES = {400: "Malformed request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 410: "Gone", 413: "Request body too large",
          415: "Unsupported media type", 422: "Invalid request", 429: "Too many requests",
          500: "Internal error", 503: "Service unavailable"}
KINDS = {400: "malformed", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
         409: "conflict", 410: "gone", 413: "too-large", 415: "unsupported-media-type", 422: "validation",
         429: "rate-limited", 500: "internal", 503: "unavailable"}


def pointer(field: str) -> str:
    """`data.person_ids.0` -> JSON pointer `#/data/person_ids/0` (`body` is the whole document)."""
    if field == "body":
        return "#"
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in field.split("."))


def problem_body(status: int, detail: str, *, kind: str | None = None, title: str | None = None,
                 errors: Iterable[tuple[str, str]] = (), **extra: object) -> dict:
    body: dict = {"type": PROBLEM_BASE + (kind or KINDS.get(status, "error")),
                  "title": title or TITLES.get(status, "Error"), "status": status, "detail": detail}
    errors = list(errors)
    if errors:
        body["errors"] = [{"field": f, "pointer": pointer(f), "detail": m} for f, m in errors]
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


class ProblemResponse(Response):
    media_type = MEDIA_TYPE

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=False).encode("utf-8")


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None, **kwargs: object) -> ProblemResponse:
    """A problem+json response."""
    return ProblemResponse(problem_body(status, detail, **kwargs), status_code=status, headers=headers)


class ProblemError(Exception):
    """Raise from anywhere in a request to answer with a problem."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None, **kwargs: object):
        super().__init__(detail)
        self.status, self.detail, self.headers, self.kwargs = status, detail, headers, kwargs


def unavailable(detail: str, retry_after: int = 2) -> ProblemError:
    return ProblemError(503, detail, headers={"Retry-After": str(retry_after)})


# Pydantic names Python's types; a client sent JSON, which has arrays (lists) only.
_JSON_WORDS = (("valid tuple", "valid list"), ("Tuple should", "List should"), ("valid frozenset", "valid list"),
               ("Frozenset should", "List should"), ("valid set", "valid list"), ("Set should", "List should"))


def plain_message(message: str) -> str:
    """A validation message in JSON's words, without pydantic's prefixes."""
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    for python, json_word in _JSON_WORDS:
        message = message.replace(python, json_word)
    return message


def allowed_methods(request: Request) -> list[str]:
    """Every method the app documents for this request's path (its OpenAPI document is the route table)."""
    methods: set[str] = set()
    for template, item in request.app.openapi().get("paths", {}).items():
        pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part)
                          for part in re.split(r"(\{[^}]+\})", template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {method.upper() for method in item if method in _HTTP_METHODS}
    return sorted(methods)


_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error, including the framework's own, as problem+json."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, error: ProblemError) -> Response:
        return problem(error.status, error.detail, headers=error.headers, **error.kwargs)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        headers = getattr(error, "headers", None)
        if error.status_code == 405 and (methods := allowed_methods(request)):
            # Starlette names the methods of the first route with this path only; RFC 9110 wants all.
            headers = {**(headers or {}), "Allow": ", ".join(methods)}
        return problem(error.status_code, str(error.detail), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        errors = [(".".join(str(p) for p in e["loc"]), plain_message(e["msg"])) for e in error.errors()]
        return problem(422, "the request does not match the API", errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("http.unhandled", path=request.url.path, error=type(error).__name__)
        return problem(500, "an unexpected error occurred; it has been logged")


def install_database_unavailable(app: FastAPI, detail: str) -> None:
    """Answer PostgreSQL being away, wherever a route meets it, as a 503 with Retry-After (a
    client tries again) rather than the 500 of an unexpected error."""

    async def _database(request: Request, error: Exception) -> Response:
        log.warning("http.database_unavailable", path=request.url.path, error=type(error).__name__)
        return problem(503, detail, headers={"Retry-After": "2"})

    for kind in DB_UNAVAILABLE:
        app.add_exception_handler(kind, _database)
