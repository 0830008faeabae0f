"""Real receivers for notifications tests: a webhook endpoint and an SMTP server, on loopback."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from standardwebhooks import Webhook
from starlette.types import Receive, Scope, Send

from shared.embedded import free_port

T = TypeVar("T")


async def eventually(check: Callable[[], T | Awaitable[T]], timeout: float = 15.0, interval: float = 0.05,
                     what: str = "the condition") -> T:
    """Poll `check` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s (last: {value!r})")
        await asyncio.sleep(interval)


@dataclass(frozen=True)
class Request:
    """One request a receiver got."""

    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


Answer = Callable[[int], tuple[float, int]]  # attempt number (1-based) -> (delay in seconds, status)


@dataclass
class WebhookReceiver:
    """An ASGI webhook endpoint that records every request and answers as `answer` says."""

    answer: Answer = lambda n: (0.0, 204)
    requests: list[Request] = field(default_factory=list)

    @classmethod
    def failing_first(cls, failures: int, status: int = 503) -> WebhookReceiver:
        return cls(lambda n: (0.0, status if n <= failures else 204))

    @classmethod
    def dead(cls, status: int = 500) -> WebhookReceiver:
        return cls(lambda n: (0.0, status))

    @classmethod
    def slow_first(cls, slow: int, seconds: float) -> WebhookReceiver:
        return cls(lambda n: (seconds if n <= slow else 0.0, 204))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append(Request(headers, body, time.time()))
        delay, status = self.answer(len(self.requests))
        if delay:
            await asyncio.sleep(delay)
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    def ids(self) -> list[str]:
        return [r.webhook_id for r in self.requests]

    def verified(self, secret: str) -> list[dict[str, Any]]:
        """Every body, after checking its Standard Webhooks signature with `secret`."""
        return [Webhook(secret).verify(r.body, r.headers) for r in self.requests]


class _Collector:
    def __init__(self, inbox: SmtpInbox) -> None:
        self._inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._inbox.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self._inbox.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpInbox:
    """A real SMTP server (aiosmtpd, in its own thread) that keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.port = free_port()
        self._controller = Controller(_Collector(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpInbox:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()
