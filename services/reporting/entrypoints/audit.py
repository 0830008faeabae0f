"""`GET /v1/audit/events`: the stored events as NDJSON, in sequence order (auditors and admins)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from shared.audit import UnreadableEvent, replay, unknown_types
from shared.auth.tokens import Principal
from shared.bus.eventlog import LogUnavailable
from shared.canonical import canonical_json
from shared.http.problems import unavailable
from shared.roles import Role
from shared.runtime import Runtime
from services.reporting.application.errors import BadQuery, NotAllowed

from . import params
from .http import CALLER, READ_PROBLEMS

log = structlog.get_logger(__name__)

AS_OF_HEADER = "Tilts-As-Of-Sequence"  # NDJSON has no envelope for as_of_sequence: a header carries it

router = APIRouter(prefix="/v1/audit", tags=["auditing"], responses=READ_PROBLEMS)


@router.get("/events", summary="Stored events in sequence order as NDJSON, for replay (auditors, admins)",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}}, "description": "One stored event per line",
                             "headers": {AS_OF_HEADER: {"description": "The last sequence the replay covers",
                                                        "schema": {"type": "integer", "minimum": 0}}}}})
async def get_events(request: Request,
                     from_sequence: int | None = Query(None, ge=0, le=params.MAX_SEQUENCE),
                     to_sequence: int | None = Query(None, ge=0, le=params.MAX_SEQUENCE),
                     from_time: str | None = Query(None, pattern=params.BOUND_PATTERN,
                                                   description="Event time from (Riga day or RFC 3339)"),
                     to_time: str | None = Query(None, pattern=params.BOUND_PATTERN,
                                                 description="Event time to (Riga day or RFC 3339), inclusive"),
                     type: list[str] | None = Query(None, description="Event type; repeat for several"),
                     recorded_time: bool = Query(False, description="Filter from_time/to_time on when the server "
                                                                    "recorded events (`recordedtime`) instead of "
                                                                    "their `time`, as `tilts audit replay "
                                                                    "--recorded-time`"),
                     principal: Principal = CALLER) -> StreamingResponse:
    if principal.role not in (Role.AUDITOR, Role.ADMIN):
        raise NotAllowed("only auditors and admins replay the log")
    times = params.window(from_time, to_time, names=("from_time", "to_time"))
    if from_sequence is not None and to_sequence is not None and to_sequence < from_sequence:
        raise BadQuery("to_sequence", "must not be before from_sequence")
    types = frozenset(type) if type else None
    if types and (unknown := unknown_types(types)):
        raise BadQuery("type", f"not an event type of the catalogue: {', '.join(u[:128] for u in unknown)}")
    runtime: Runtime = request.app.state.runtime
    first = from_sequence or 1
    last = to_sequence
    try:
        head = await runtime.log.last_sequence()
    except LogUnavailable as error:
        raise unavailable(f"the event log is unavailable: {error}") from error
    # The replay ends where the log ended when it began: that is the answer's as-of sequence.
    as_of = head if last is None else min(last, head)
    events = replay(runtime.log, stream=runtime.settings.stream_name, from_sequence=first, to_sequence=as_of,
                    from_time=times["since"], to_time=times["before"], types=types,
                    time_field="recordedtime" if recorded_time else "time")

    async def lines() -> AsyncIterator[bytes]:
        try:
            async for event in events:
                yield canonical_json(event.as_json()) + b"\n"
        except UnreadableEvent as error:
            # Breaking the response (rather than ending it) tells the client the replay is incomplete.
            log.error("audit.unreadable_event", sequence=error.sequence)
            raise

    return StreamingResponse(lines(), media_type="application/x-ndjson", headers={AS_OF_HEADER: str(as_of)})
