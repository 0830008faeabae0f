"""Reporting and notifications on an intake's log, each with a database of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from shared.config import Settings
from services.reporting.bootstrap import create_app as create_reporting

from .harness import Harness, running
from .notify import notifications_settings, running_notifications


async def reporting_settings(make_settings: Callable[..., Awaitable[Settings]], intake: Harness,
                             **overrides: Any) -> Settings:
    """Settings of a reporting service with its own database, reading the intake's stream."""
    fresh = await make_settings(**overrides)
    return fresh.model_copy(update={"stream_name": intake.settings.stream_name,
                                    "subject_prefix": intake.settings.subject_prefix})


@asynccontextmanager
async def readers_beside(intake: Harness, make_settings: Callable[..., Awaitable[Settings]],
                         **overrides: Any) -> AsyncIterator[tuple[Harness, Harness]]:
    """(reporting, notifications) in-process on the intake's log, with `overrides` to both."""
    async with running(create_reporting, await reporting_settings(make_settings, intake, **overrides)) as reporting, \
            running_notifications(await notifications_settings(make_settings, intake, **overrides)) as notify:
        yield reporting, notify
