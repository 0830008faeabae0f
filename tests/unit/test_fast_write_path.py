"""The write endpoints answered in front of FastAPI: what they pass on, and what a crash answers."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from services.intake.entrypoints import fast_path
from services.intake.entrypoints.fast_path import FastWritePath


class Recorder:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return self.messages[0]["status"]

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.messages[1]["body"])


def _scope(path: str, method: str = "POST") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path,
            "headers": [(b"content-type", b"application/json"), (b"authorization", b"Bearer x")]}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"{}", "more_body": False}


async def test_other_requests_go_on_to_the_app_behind() -> None:
    seen: list[str] = []

    async def behind(scope: dict, receive: Any, send: Any) -> None:
        seen.append(f"{scope['method']} {scope['path']}" if scope["type"] == "http" else scope["type"])

    front = FastWritePath(behind, SimpleNamespace(state=SimpleNamespace()), 1024)  # type: ignore[arg-type]
    await front(_scope("/v1/events", "GET"), _receive, Recorder())
    await front(_scope("/readyz"), _receive, Recorder())
    await front({"type": "lifespan"}, _receive, Recorder())
    assert seen == ["GET /v1/events", "POST /readyz", "lifespan"]


async def test_an_unexpected_error_is_a_500_problem_not_a_dropped_connection(monkeypatch) -> None:
    async def crash(*args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setitem(fast_path.WRITES, "/v1/events", crash)
    owner = SimpleNamespace(state=SimpleNamespace(intake=None, tokens=None))

    async def behind(scope: dict, receive: Any, send: Any) -> None:
        raise AssertionError("the write path answers writes itself")

    answer = Recorder()
    await FastWritePath(behind, owner, 1024)(_scope("/v1/events"), _receive, answer)  # type: ignore[arg-type]
    assert answer.status == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.body["status"] == 500 and "logged" in answer.body["detail"]
