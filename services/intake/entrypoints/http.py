"""The intake's HTTP API: parse, authenticate, call the append path, map outcomes to answers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from shared.auth.tokens import Principal
from shared.http.auth import authenticate, authenticate_header, bearer_scheme
from shared.http.json_body import parse_json
from shared.http.problems import ProblemError, problem, problem_body, unavailable
from shared.roles import Role
from services.intake.application.intake import Created, Duplicate, Intake, Outcome, Unavailable
from services.intake.application.parsing import parse_event, schema_violation
from services.intake.application.reading import EventReader, NotVisible
from services.intake.domain.rejections import Rejection

MAX_BATCH = 500
ACCEPTED_MEDIA = ("application/json", "application/cloudevents+json", "application/cloudevents-batch+json")

router = APIRouter(prefix="/v1", tags=["events"])

_EVENT_SCHEMA = {"content": {"application/json": {"schema": {
    "type": "object", "required": ["specversion", "id", "source", "type", "time", "data"],
    "properties": {"specversion": {"const": "1.0"}, "id": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$"},
                   "source": {"type": "string"}, "type": {"type": "string"},
                   "time": {"type": "string", "format": "date-time"},
                   "expectedversion": {"type": "integer", "minimum": 0},
                   "correlationid": {"type": "string"}, "data": {"type": "object"}}}}}}


async def principal_of(request: Request,
                       credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme)) -> Principal:
    return authenticate(request, credentials)


def _caller(request: Request) -> Principal:
    """The caller, read straight from the header: FastAPI's dependency solving costs ~0.3 ms a
    request on the write path (the routes still declare the bearer scheme for the docs)."""
    return authenticate_header(request, request.headers.get("authorization"))


_SECURED = {"security": [{"HTTPBearer": []}]}


def _intake(request: Request) -> Intake:
    return request.app.state.intake


async def _json_body(request: Request) -> Any:
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media not in ACCEPTED_MEDIA:
        raise ProblemError(415, f"send JSON (one of {', '.join(ACCEPTED_MEDIA)}), not {media}")
    return parse_json(await request.body())


def _rejection_problem(rejection: Rejection) -> dict:
    errors = rejection.errors
    if not errors and rejection.field:
        errors = ((rejection.field, rejection.detail),)
    return problem_body(rejection.status, rejection.detail, kind=rejection.kind, title=rejection.title,
                        errors=errors, current_version=rejection.current_version)


def _answer(outcome: Outcome) -> JSONResponse:
    if isinstance(outcome, Rejection):
        return JSONResponse(_rejection_problem(outcome), status_code=outcome.status,
                            media_type="application/problem+json")
    body = {"id": outcome.id, "sequence": outcome.sequence, "version": outcome.version,
            "duplicate": isinstance(outcome, Duplicate)}
    return JSONResponse(body, status_code=201 if isinstance(outcome, Created) else 200,
                        headers={"Location": f"/v1/events/{outcome.id}"})


@router.post("/events", status_code=201, summary="Append one event (CloudEvents 1.0 structured JSON)",
             openapi_extra={"requestBody": _EVENT_SCHEMA, **_SECURED})
async def post_event(request: Request) -> JSONResponse:
    principal = _caller(request)
    parsed = parse_event(await _json_body(request))
    if isinstance(parsed, Rejection):
        return _answer(parsed)
    try:
        return _answer(await _intake(request).submit(principal, *parsed))
    except Unavailable as error:
        raise unavailable(f"the event log is unavailable, nothing was stored: {error}") from error


def _batch_item(index: int, raw: Any, outcome: Outcome) -> dict:
    if isinstance(outcome, Rejection):
        event_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        return {"index": index, "id": event_id, "status": "rejected", "problem": _rejection_problem(outcome)}
    return {"index": index, "id": outcome.id, "status": "created" if isinstance(outcome, Created) else "duplicate",
            "sequence": outcome.sequence, "version": outcome.version}


@router.post("/events:batch", summary="Append up to 500 events in order, with a result per event",
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                 "type": "object", "required": ["events"],
                 "properties": {"events": {"type": "array", "maxItems": MAX_BATCH, "items": {"type": "object"}}}}}}},
                 **_SECURED})
async def post_batch(request: Request) -> JSONResponse:
    principal = _caller(request)
    body = await _json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("events"), list) or set(body) != {"events"}:
        return _answer(schema_violation((("events", 'send {"events": [...]}'),)))
    events = body["events"]
    if len(events) > MAX_BATCH:
        return _answer(schema_violation((("events", f"at most {MAX_BATCH} events per batch, got {len(events)}"),)))
    parsed = [parse_event(raw) for raw in events]
    try:
        outcomes = await _intake(request).submit_batch(principal, parsed)
    except Unavailable as error:
        raise unavailable(f"the event log is unavailable, nothing was stored: {error}") from error
    items = [_batch_item(i, raw, outcome) for i, (raw, outcome) in enumerate(zip(events, outcomes))]
    counts = {status: sum(1 for item in items if item["status"] == status)
              for status in ("created", "duplicate", "rejected")}
    return JSONResponse({"results": items, **counts})


@router.get("/events/{event_id}", summary="One stored event as recorded, within the caller's scope")
async def get_event(event_id: str, request: Request, principal: Principal = Depends(principal_of)) -> JSONResponse:
    reader: EventReader = request.app.state.reader
    try:
        event = await reader.read(principal, event_id)
    except NotVisible:
        return problem(404, f"no event {event_id} that you may see")
    except Unavailable as error:
        raise unavailable(str(error)) from error
    return JSONResponse(event.as_json())


__all__ = ["router", "principal_of", "Role"]
