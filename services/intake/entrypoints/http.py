"""The intake's HTTP API: parse, authenticate, call the append path, map outcomes to answers."""

from __future__ import annotations


from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from shared.auth.tokens import Principal
from shared.http.auth import authenticate, bearer_scheme
from shared.http.problems import problem, unavailable
from services.intake.application.intake import Unavailable
from services.intake.application.reading import EventReader, NotVisible

from .writes import MAX_BATCH, Answer, write_batch, write_event

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


_SECURED = {"security": [{"HTTPBearer": []}]}


def _response(answer: Answer) -> Response:
    return Response(answer.encoded(), status_code=answer.status, headers=answer.headers,
                    media_type=answer.media_type)


@router.post("/events", status_code=201, summary="Append one event (CloudEvents 1.0 structured JSON)",
             openapi_extra={"requestBody": _EVENT_SCHEMA, **_SECURED})
async def post_event(request: Request) -> Response:
    return _response(await write_event(request.app.state.intake, request.app.state.tokens,
                                       request.headers, await request.body()))


@router.post("/events:batch", summary="Append up to 500 events in order, with a result per event",
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                 "type": "object", "required": ["events"],
                 "properties": {"events": {"type": "array", "maxItems": MAX_BATCH, "items": {"type": "object"}}}}}}},
                 **_SECURED})
async def post_batch(request: Request) -> Response:
    return _response(await write_batch(request.app.state.intake, request.app.state.tokens,
                                       request.headers, await request.body()))


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


__all__ = ["router", "principal_of"]
