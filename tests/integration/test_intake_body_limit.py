"""An oversize write is answered 413 that the client can read, over a real connection."""

from __future__ import annotations

import httpx
from starlette.types import Receive, Scope, Send

from services.intake.entrypoints.fast_path import FastWritePath
from services.intake import metrics
from tests.support.live_server import serving

LIMIT = 1024 * 1024


async def _never(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("an oversize write must not go further")


def _refused_413() -> float:
    return metrics.EVENTS_REJECTED.labels("413")._value.get()


async def test_a_batch_a_little_over_the_limit_gets_a_readable_413_not_a_reset() -> None:
    # Closing with the rest of the body unread made the kernel reset the connection: the phone saw
    # a network error (and would re-send the same batch) instead of the 413.
    front = FastWritePath(_never, owner=None, max_body_bytes=LIMIT)  # type: ignore[arg-type]
    before = _refused_413()
    async with serving(front, lifespan="off") as url, httpx.AsyncClient(timeout=30) as client:
        for _ in range(5):
            answer = await client.post(f"{url}/v1/events:batch", content=b" " * (LIMIT + 64_000),
                                       headers={"content-type": "application/json"})
            assert answer.status_code == 413
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert "over 1048576 bytes" in answer.json()["detail"]
    assert _refused_413() == before + 5
