"""The two write endpoints as plain functions: headers and body in, an answer out.

Both the documented FastAPI routes and the raw ASGI fast path (`fast_path.py`) call these, so
there is one implementation of what `POST /v1/events` and `POST /v1/events:batch` do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from shared.auth.tokens import TokenAuthority
from shared.http.auth import principal_from_header
from shared.http.json_body import parse_json
from shared.http.problems import MEDIA_TYPE, ProblemError, problem_body
from services.intake import metrics
from services.intake.application.intake import Created, Duplicate, Intake, Outcome, Unavailable
from services.intake.application.parsing import parse_event, schema_violation
from services.intake.domain.rejections import Rejection

MAX_BATCH = 500
EVENT_MEDIA = ("application/json", "application/cloudevents+json")
# CloudEvents' JSON batch format is a bare array of events; plain JSON is {"events": [...]}.
BATCH_MEDIA = "application/cloudevents-batch+json"
RETRY_AFTER_SECONDS = 2


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"

    def encoded(self) -> bytes:
        return orjson.dumps(self.body)  # compact UTF-8, as json.dumps(ensure_ascii=False) but faster


def _problem_answer(error: ProblemError) -> Answer:
    return Answer(error.status, problem_body(error.status, error.detail, **error.kwargs),
                  dict(error.headers or {}), MEDIA_TYPE)


def rejection_problem(rejection: Rejection) -> dict:
    errors = rejection.errors
    if not errors and rejection.field:
        errors = ((rejection.field, rejection.detail),)
    return problem_body(rejection.status, rejection.detail, kind=rejection.kind, title=rejection.title,
                        errors=errors, current_version=rejection.current_version)


def _outcome_answer(outcome: Outcome) -> Answer:
    if isinstance(outcome, Rejection):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if outcome.status == 503 else {}
        return Answer(outcome.status, rejection_problem(outcome), headers, MEDIA_TYPE)
    body = {"id": outcome.id, "sequence": outcome.sequence, "version": outcome.version,
            "duplicate": isinstance(outcome, Duplicate)}
    return Answer(201 if isinstance(outcome, Created) else 200, body, {"Location": f"/v1/events/{outcome.id}"})


def _media_type(headers: Mapping[str, str], accepted: tuple[str, ...]) -> str:
    """The body's media type if it is one of `accepted` and not compressed; else a 415.

    A batch sent to the single-event endpoint is told where it goes.
    """
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise ProblemError(415, f"send the body uncompressed, not with Content-Encoding {encoding}")
    media = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media == BATCH_MEDIA and media not in accepted:
        raise ProblemError(415, f"{BATCH_MEDIA} goes to POST /v1/events:batch; send one event as "
                                f"{' or '.join(EVENT_MEDIA)}")
    if media not in accepted:
        raise ProblemError(415, f"send JSON (one of {', '.join(accepted)}), not {media}")
    return media


def _unavailable(error: Unavailable) -> ProblemError:
    """503: what did not answer, and whether the event may have been stored all the same."""
    return ProblemError(503, error.advice, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def count_refused(status: int, events: int = 1) -> None:
    """Count events refused before the intake decided on them (unreadable, unauthenticated,
    invalid), as `Intake` counts those it refused; 503s are counted where they arise."""
    if status != 503 and events:
        metrics.EVENTS_REJECTED.labels(str(status)).inc(events)


def _refused(rejection: Rejection) -> Answer:
    count_refused(rejection.status)
    return _outcome_answer(rejection)


async def write_event(intake: Intake, tokens: TokenAuthority, headers: Mapping[str, str], body: bytes) -> Answer:
    """POST /v1/events."""
    try:
        principal = principal_from_header(tokens, headers.get("authorization"))
        _media_type(headers, EVENT_MEDIA)
        parsed = parse_event(parse_json(body))
        if isinstance(parsed, Rejection):
            return _refused(parsed)
        try:
            return _outcome_answer(await intake.submit(principal, *parsed))
        except Unavailable as error:
            raise _unavailable(error) from error
    except ProblemError as error:
        count_refused(error.status)
        return _problem_answer(error)


def _batch_item(index: int, raw: Any, outcome: Outcome) -> dict:
    if isinstance(outcome, Rejection):
        event_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        return {"index": index, "id": event_id, "status": "rejected", "problem": rejection_problem(outcome)}
    return {"index": index, "id": outcome.id, "status": "created" if isinstance(outcome, Created) else "duplicate",
            "sequence": outcome.sequence, "version": outcome.version}


async def write_batch(intake: Intake, tokens: TokenAuthority, headers: Mapping[str, str], body: bytes) -> Answer:
    """POST /v1/events:batch."""
    try:
        principal = principal_from_header(tokens, headers.get("authorization"))
        media = _media_type(headers, (*EVENT_MEDIA, BATCH_MEDIA))
        document = parse_json(body)
        if media == BATCH_MEDIA:
            if not isinstance(document, list):
                return _refused(schema_violation((("body", f"{BATCH_MEDIA} is a JSON array of events"),)))
            document = {"events": document}
        if not isinstance(document, dict) or not isinstance(document.get("events"), list):
            return _refused(schema_violation((("events", 'send {"events": [...]}'),)))
        if extra := sorted(set(document) - {"events"}):
            return _refused(schema_violation(
                tuple((key, 'not a batch attribute: send {"events": [...]}') for key in extra)))
        events = document["events"]
        if len(events) > MAX_BATCH:
            return _refused(schema_violation(
                (("events", f"at most {MAX_BATCH} events per batch, got {len(events)}"),)))
        parsed = [parse_event(raw) for raw in events]
        count_refused(422, sum(isinstance(item, Rejection) for item in parsed))
        try:
            outcomes = await intake.submit_batch(principal, parsed)
        except Unavailable as error:
            raise _unavailable(error) from error
    except ProblemError as error:
        count_refused(error.status)
        return _problem_answer(error)
    items = [_batch_item(i, raw, outcome) for i, (raw, outcome) in enumerate(zip(events, outcomes))]
    counts = {status: sum(1 for item in items if item["status"] == status)
              for status in ("created", "duplicate", "rejected")}
    return Answer(200, {"results": items, **counts})
