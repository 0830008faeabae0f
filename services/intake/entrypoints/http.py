"""The intake's HTTP API: parse, authenticate, call the append path, map outcomes to answers."""

from __future__ import annotations


from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from shared.auth.tokens import Principal
from shared.events.envelope import StoredEvent
from shared.http.auth import authenticate, bearer_scheme
from shared.http.ids import id_in_path
from shared.http.openapi import problems
from shared.http.problems import problem, unavailable
from services.intake.application.intake import Unavailable
from services.intake.application.reading import (DIGESTS_WITHHELD_FROM_INSTITUTIONS, EventReader, NotVisible,
                                                 as_seen_by)

from .openapi import event_body_schema
from .writes import BATCH_MEDIA, EVENT_MEDIA, MAX_BATCH, Answer, write_batch, write_event

router = APIRouter(prefix="/v1", tags=["events"])

_ID = {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$"}
_EVENT_SCHEMA = {"required": True, "content": {media: {"schema": event_body_schema()} for media in EVENT_MEDIA}}
# Each event of a batch is decided on its own: one that is not a valid event comes back rejected,
# with its problem, in the 200 answer. So the items are documented as events but may be anything.
_BATCH_EVENTS = {"type": "array", "maxItems": MAX_BATCH, "items": {
    "description": "An event as for POST /v1/events (anything else comes back rejected)"}}
_BATCH_SCHEMA = {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "required": ["events"], "additionalProperties": False,
                                    "properties": {"events": _BATCH_EVENTS}}},
    BATCH_MEDIA: {"schema": {**_BATCH_EVENTS, "description": "CloudEvents' JSON batch format: the events as an array"}}}}
_APPENDED = {"type": "object", "required": ["id", "sequence", "version", "duplicate"], "properties": {
    "id": _ID, "sequence": {"type": "integer", "minimum": 1}, "version": {"type": "integer", "minimum": 1},
    "duplicate": {"type": "boolean"}}}
_BATCH_ITEM = {"type": "object", "required": ["index", "id", "status"], "properties": {
    "index": {"type": "integer", "minimum": 0}, "id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    "status": {"enum": ["created", "duplicate", "rejected"]}, "sequence": {"type": "integer"},
    "version": {"type": "integer"}, "problem": {"$ref": "#/components/schemas/Problem"}}}
_BATCH_RESULTS = {"type": "object", "required": ["results", "created", "duplicate", "rejected"], "properties": {
    "results": {"type": "array", "items": _BATCH_ITEM}, "created": {"type": "integer"},
    "duplicate": {"type": "integer"}, "rejected": {"type": "integer"}}}


WITHHELD_HEADER = "Tilts-Withheld"


def _stored_event_schema() -> dict:
    """The stored form (one definition: StoredEvent), with what an institution is not given optional."""
    schema = StoredEvent.model_json_schema()
    schema["required"] = [name for name in schema["required"] if name not in DIGESTS_WITHHELD_FROM_INSTITUTIONS]
    schema["properties"]["sequence"]["description"] = "The event's position in the log"
    schema["description"] = "One event as the log holds it (an institution's copy without family details and digests)"
    return schema


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


async def principal_of(request: Request,
                       credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme)) -> Principal:
    return authenticate(request, credentials)


_SECURED = {"security": [{"HTTPBearer": []}]}


def _response(answer: Answer) -> Response:
    return Response(answer.encoded(), status_code=answer.status, headers=answer.headers,
                    media_type=answer.media_type)


@router.post("/events", status_code=201, summary="Append one event (CloudEvents 1.0 structured JSON)",
             openapi_extra={"requestBody": _EVENT_SCHEMA, **_SECURED},
             responses={201: _json("Appended", _APPENDED),
                        200: _json("Sent before: the original result, with `duplicate: true`", _APPENDED),
                        **problems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503)})
async def post_event(request: Request) -> Response:
    return _response(await write_event(request.app.state.intake, request.app.state.tokens,
                                       request.headers, await request.body()))


@router.post("/events:batch", summary="Append up to 500 events in order, with a result per event",
             openapi_extra={"requestBody": _BATCH_SCHEMA, **_SECURED},
             responses={200: _json("A result per event, in order", _BATCH_RESULTS),
                        **problems(400, 401, 413, 415, 422, 429, 503)})
async def post_batch(request: Request) -> Response:
    return _response(await write_batch(request.app.state.intake, request.app.state.tokens,
                                       request.headers, await request.body()))


@router.get("/events/{event_id}", summary="One stored event as recorded, within the caller's scope",
            description="An institution reads its own cooperations and referrals without the family details "
                        "(`family_id`, `case_id`, `person_ids`) and without the digests that would confirm a "
                        "guess of them (`hash`, `prevhash`, `fingerprint`); the `Tilts-Withheld` header names "
                        "what was left out.",
            responses={200: {**_json("The stored event", _stored_event_schema()), "headers": {WITHHELD_HEADER: {
                "description": "What was left out of the event for this caller (comma-separated), if anything",
                "schema": {"type": "string"}}}}, **problems(401, 404, 422, 429, 503)})
async def get_event(request: Request, event_id: str = id_in_path("event"),
                    principal: Principal = Depends(principal_of)) -> JSONResponse:
    reader: EventReader = request.app.state.reader
    try:
        event = await reader.read(principal, event_id)
    except NotVisible:
        return problem(404, f"no event {event_id} that you may see")
    except Unavailable as error:
        raise unavailable(str(error)) from error
    body, withheld = as_seen_by(principal, event)
    return JSONResponse(body, headers={WITHHELD_HEADER: ", ".join(withheld)} if withheld else None)


__all__ = ["router", "principal_of"]
