"""`load_season`: post a demo season through the intake's public batch API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .model import MAX_BATCH, ActorSpec, DemoSeason

__all__ = ["DemoLoadError", "DemoSummary", "load_season"]

_MAX_PROBLEMS = 5
_ATTEMPTS = 6
_RETRY_STATUSES = {502, 503, 504}


@dataclass(frozen=True)
class DemoSummary:
    """What the intake answered for the whole season."""

    created: int = 0
    duplicate: int = 0
    rejected: int = 0
    problems: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Events posted."""
        return self.created + self.duplicate + self.rejected


class DemoLoadError(RuntimeError):
    """The intake refused part of the demo (which should be entirely valid)."""

    def __init__(self, message: str, summary: DemoSummary) -> None:
        super().__init__(message)
        self.summary = summary


async def load_season(season: DemoSeason, base_url: str, mint: Callable[[ActorSpec], str], *,
                      client: httpx.AsyncClient | None = None,
                      progress: Callable[[int, int], None] | None = None) -> DemoSummary:
    """Post every step in order (at most 500 events a request); raise if any event is rejected."""
    own_client = client is None
    http = client or httpx.AsyncClient(timeout=httpx.Timeout(120.0, connect=10.0))
    url = f"{base_url.rstrip('/')}/v1/events:batch"
    tokens: dict[ActorSpec, str] = {}
    total, done = season.event_count, 0
    created = duplicate = rejected = 0
    problems: list[str] = []
    try:
        for step in season.steps:
            if step.actor not in tokens:
                tokens[step.actor] = mint(step.actor)
            headers = {"Authorization": f"Bearer {tokens[step.actor]}"}
            for start in range(0, len(step.events), MAX_BATCH):
                batch = step.events[start:start + MAX_BATCH]
                answer = await _post_batch(http, url, batch, headers)
                for result in answer.get("results", []):
                    status = result.get("status")
                    if status == "created":
                        created += 1
                    elif status == "duplicate":
                        duplicate += 1
                    else:
                        rejected += 1
                        if len(problems) < _MAX_PROBLEMS:
                            problems.append(_describe(batch, result, step.actor))
                done += len(batch)
                if progress is not None:
                    progress(done, total)
                if rejected:
                    summary = DemoSummary(created, duplicate, rejected, tuple(problems))
                    raise DemoLoadError(
                        f"the intake rejected {rejected} demo event(s); stopped after "
                        f"{done} of {total}. First problems:\n  " + "\n  ".join(problems),
                        summary)
    finally:
        if own_client:
            await http.aclose()
    return DemoSummary(created, duplicate, rejected, tuple(problems))


async def _post_batch(http: httpx.AsyncClient, url: str, events: list[dict[str, Any]],
                      headers: dict[str, str]) -> dict[str, Any]:
    """POST one batch, retrying (it is idempotent) while the intake is unavailable."""
    delay = 0.5
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            response = await http.post(url, json={"events": events}, headers=headers)
        except httpx.TransportError as error:
            if attempt == _ATTEMPTS:
                raise DemoLoadError(f"cannot reach the intake at {url}: {error}",
                                    DemoSummary()) from error
        else:
            if response.status_code == 200:
                return response.json()
            if response.status_code not in _RETRY_STATUSES or attempt == _ATTEMPTS:
                raise DemoLoadError(
                    f"the intake answered {response.status_code} to a batch of {len(events)} "
                    f"events: {response.text[:1000]}", DemoSummary())
            delay = _retry_after(response, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 10.0)
    raise AssertionError("unreachable")


def _retry_after(response: httpx.Response, default: float) -> float:
    try:
        return min(float(response.headers.get("Retry-After", default)), 10.0)
    except ValueError:
        return default


def _describe(batch: list[dict[str, Any]], result: dict[str, Any], actor: ActorSpec) -> str:
    """One line naming a rejected event and why."""
    index = result.get("index")
    event = batch[index] if isinstance(index, int) and 0 <= index < len(batch) else {}
    problem = result.get("problem") or {}
    detail = problem.get("detail") or problem.get("title") or "rejected"
    errors = "; ".join(f"{e.get('field')}: {e.get('detail')}" if isinstance(e, dict) else str(e)
                       for e in problem.get("errors") or [])
    where = f"{event.get('id', result.get('id'))} ({event.get('type', '?')}, " \
            f"by {actor.role} {actor.subject})"
    return f"{where}: {problem.get('status', '?')} {detail}" + (f" [{errors}]" if errors else "")
