"""The write endpoints served as raw ASGI, in front of FastAPI.

Measured on the 2-core development machine, FastAPI's routing, dependency solving and response
classes cost about a quarter of the intake's CPU per event. The writes are the hot path, so they
are answered here directly; FastAPI still documents them (its routes call the same functions in
`writes.py`) and serves everything else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http.problems import MEDIA_TYPE, problem_body

from .writes import Answer, write_batch, write_event

WRITES: dict[str, Callable[..., Awaitable[Answer]]] = {"/v1/events": write_event, "/v1/events:batch": write_batch}


class FastWritePath:
    """Answers POST /v1/events and /v1/events:batch without the framework; passes the rest on."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = WRITES.get(scope.get("path", "")) if scope["type"] == "http" and scope["method"] == "POST" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        body = await self._body(headers, receive)
        if body is None:
            answer = Answer(413, problem_body(413, f"the request body is over {self.max_body_bytes} bytes"),
                            {"connection": "close"}, MEDIA_TYPE)
        else:
            state = scope["app"].state
            answer = await handler(state.intake, state.tokens, headers, body)
        await _respond(send, answer)

    async def _body(self, headers: dict[str, str], receive: Receive) -> bytes | None:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b""
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)


async def _respond(send: Send, answer: Answer) -> None:
    body = answer.encoded()
    headers = [(b"content-type", answer.media_type.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
