"""The write endpoints served as raw ASGI, in front of FastAPI.

Measured on the 2-core development machine, FastAPI's routing, dependency solving and response
classes cost about a quarter of the intake's CPU per event, and its middleware stack (error and
telemetry wrappers around every `send`) another tenth. The writes are the hot path, so they are
answered here, before FastAPI is entered; FastAPI still documents them (its routes call the same
functions in `writes.py`) and serves everything else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http.private import NO_STORE
from shared.http.problems import MEDIA_TYPE, problem_body

from .writes import Answer, count_refused, write_batch, write_event

log = structlog.get_logger(__name__)

DRAIN_BYTES = 4 * 1024 * 1024  # how much of an oversize body is read and dropped to answer 413

WRITES: dict[str, Callable[..., Awaitable[Answer]]] = {"/v1/events": write_event, "/v1/events:batch": write_batch}


class FrontedFastAPI(FastAPI):
    """A FastAPI app with an ASGI front (`put_in_front`) that sees every request first."""

    _front: ASGIApp | None = None

    def put_in_front(self, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
        """Route every request through `wrap(the FastAPI app as usual)`."""
        self._front = wrap(super().__call__)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await (self._front or super().__call__)(scope, receive, send)


class FastWritePath:
    """Answers POST /v1/events and /v1/events:batch without the framework; passes the rest on.

    `owner` is the app whose `state` holds the intake and the token authority.
    """

    def __init__(self, app: ASGIApp, owner: FastAPI, max_body_bytes: int) -> None:
        self.app = app
        self.owner = owner
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = WRITES.get(scope.get("path", "")) if scope["type"] == "http" and scope["method"] == "POST" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        body = await self._body(headers, receive)
        if body is None:
            count_refused(413)
            answer = Answer(413, problem_body(413, f"the request body is over {self.max_body_bytes} bytes"),
                            {"connection": "close"}, MEDIA_TYPE)
        else:
            state = self.owner.state
            try:
                answer = await handler(state.intake, state.tokens, headers, body)
            except Exception as error:  # what FastAPI's error handler does for the other routes
                log.exception("http.unhandled", path=scope["path"], error=type(error).__name__)
                answer = Answer(500, problem_body(500, "an unexpected error occurred; it has been logged"),
                                media_type=MEDIA_TYPE)
        await _respond(send, answer)

    async def _body(self, headers: dict[str, str], receive: Receive) -> bytes | None:
        """The whole body, or None when it is over the limit.

        An oversize body a little over the limit (a 500-event batch of long notes) is read to its
        end and dropped before the 413: closing with unread bytes makes the kernel reset the
        connection, and the client would see a network error instead of the answer, and retry.
        """
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes + DRAIN_BYTES:
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b""
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                while message.get("more_body") and size <= self.max_body_bytes + DRAIN_BYTES:
                    message = await receive()
                    size += len(message.get("body", b""))
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)


async def _respond(send: Send, answer: Answer) -> None:
    body = answer.encoded()
    headers = [(b"content-type", answer.media_type.encode()), (b"content-length", str(len(body)).encode()),
               NO_STORE]  # as every other /v1/ answer (shared/http/private.py)
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
