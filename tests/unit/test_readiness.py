"""/readyz answers within a probe's patience, even when a dependency hangs (a frozen server)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from shared.http import ops


async def _ready() -> str | None:
    return None


async def _frozen() -> str | None:
    await asyncio.Event().wait()  # never answers, as a SIGSTOPped PostgreSQL
    return None


async def test_a_check_that_never_answers_makes_the_service_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops, "CHECK_SECONDS", 0.05)
    app = FastAPI()
    app.include_router(ops.ops_router("intake", {"nats": _ready, "postgres": _frozen}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert answer.json()["checks"] == {"nats": "ok", "postgres": "no answer in 0.05 s"}
