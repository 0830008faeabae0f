"""A notifications service wired to a live intake, and helpers that read like the domain."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from shared.config import Settings
from shared.roles import Role
from services.notifications.bootstrap import create_app as create_notifications

from .harness import Harness, running
from .inboxes import eventually
from .world import World

FAST = {"notify_allow_private_targets": True, "notify_backoff_base_seconds": 0.05,
        "notify_backoff_cap_seconds": 0.5, "notify_timeout_seconds": 2.0, "notify_poll_seconds": 1.0}


async def notifications_settings(make_settings: Callable[..., Awaitable[Settings]], intake: Harness,
                                 **overrides: Any) -> Settings:
    """Settings of a notifications service with a database of its own, on the intake's stream."""
    fresh = await make_settings()
    return fresh.model_copy(update={"stream_name": intake.settings.stream_name,
                                    "subject_prefix": intake.settings.subject_prefix,
                                    "intake_url": str(intake.client.base_url).rstrip("/"),
                                    "notify_public_url": "http://notifications.test", **FAST, **overrides})


@asynccontextmanager
async def running_notifications(settings: Settings) -> AsyncIterator[Harness]:
    """The notifications service in-process (an in-memory HTTP client; the intake is real HTTP)."""
    async with running(create_notifications, settings, base_url="http://notifications.test") as harness:
        yield harness


async def subscribe(notify: Harness, world: World, channel: str, target: str, *,
                    headers: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """Subscribe the world's institution (as admin unless told otherwise); the answer's body."""
    answer = await notify.client.post("/v1/subscriptions", headers=headers or notify.auth(Role.ADMIN, "admin-1"),
                                      json={"institution_id": world.institution, "channel": channel,
                                            "target": target, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def deliveries(notify: Harness, world: World, **params: str) -> list[dict[str, Any]]:
    """The world's institution's deliveries, newest first."""
    answer = await notify.client.get("/v1/deliveries", params={"institution_id": world.institution, **params},
                                     headers=notify.auth(Role.ADMIN, "admin-1"))
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def settled(notify: Harness, world: World, count: int, status: str, timeout: float = 20) -> list[dict]:
    """Wait until `count` deliveries of the institution have `status`; return them."""
    async def check() -> list[dict] | None:
        found = await deliveries(notify, world, status=status)
        return found if len(found) >= count else None
    return await eventually(check, timeout, what=f"{count} {status} deliveries")


async def caught_up(notify: Harness, intake: Harness, timeout: float = 15) -> int:
    """Wait until the fan-out has read everything the log holds now; the log's head."""
    head = await intake.app.state.runtime.log.last_sequence()
    fanout = notify.app.state.parts.fanout
    await eventually(lambda: fanout.position >= head, timeout, what=f"the fan-out reaching {head}")
    return head
