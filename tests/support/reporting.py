"""Helpers for reporting tests: run the reporting app beside the intake, read with `min_sequence`."""

from __future__ import annotations

from typing import Any

import httpx

from .harness import Harness, event
from .world import World, must_post


async def read(reporting: Harness, path: str, headers: dict[str, str], *, after: int | None = None,
               **query: Any) -> httpx.Response:
    """GET a reporting path, waiting until the read models include sequence `after`."""
    if after is not None:
        query["min_sequence"] = after
    return await reporting.client.get(path, params={k: v for k, v in query.items() if v is not None},
                                      headers=headers)


async def read_json(reporting: Harness, path: str, headers: dict[str, str], *, after: int | None = None,
                    **query: Any) -> dict[str, Any]:
    """Like `read`, asserting a 200 and returning the JSON."""
    answer = await read(reporting, path, headers, after=after, **query)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def post_as(world: World, headers: dict[str, str], type_: str, data: dict[str, Any], **extra: Any) -> int:
    """Post one event and return its sequence."""
    return (await must_post(world.harness, event(type_, data, **extra), headers))["sequence"]


async def post_many(harness: Harness, headers: dict[str, str], events: list[dict[str, Any]]) -> int:
    """Post events as one batch (all must be created); the last sequence."""
    answer = await harness.client.post("/v1/events:batch", json={"events": events}, headers=headers)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert all(r["status"] in ("created", "duplicate") for r in results), results
    return max(r["sequence"] for r in results)


async def log_head(harness: Harness) -> int:
    """The last sequence in the harness's event log (to read after everything posted so far)."""
    return await harness.app.state.runtime.log.last_sequence()
