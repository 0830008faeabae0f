"""Fixtures for integration tests: services running in-process on the real servers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from shared.config import Settings
from shared.embedded import EmbeddedPostgres
from services.intake.bootstrap import create_app as create_intake
from tests.support.harness import Harness, create_database, fresh_settings, running
from tests.support.live_server import running_live
from tests.support.world import World


@pytest.fixture(scope="session")
def make_settings(session_dir: Path, nats_url: str, postgres_server: EmbeddedPostgres
                  ) -> Callable[..., Awaitable[Settings]]:
    """Settings with a stream and a database of their own."""

    async def make(**overrides: Any) -> Settings:
        name = f"tilts_{uuid.uuid4().hex[:10]}"
        await create_database(postgres_server.url_for("postgres"), name)
        return fresh_settings(session_dir / "data", overrides.pop("nats_url", nats_url),
                              postgres_server.url_for(name), **overrides)

    return make


@pytest.fixture(scope="session")
async def intake(make_settings: Callable[..., Awaitable[Settings]]) -> AsyncIterator[Harness]:
    """The intake service shared by the session's tests (each test uses its own ids)."""
    async with running(create_intake, await make_settings()) as harness:
        yield harness


@pytest.fixture
async def world(intake: Harness, unique_id: str) -> World:
    """A registered municipality, institution with contacts, and mediator, unique to the test."""
    return await World.create(intake, unique_id)


@pytest.fixture(scope="session")
async def live_intake(make_settings: Callable[..., Awaitable[Settings]]) -> AsyncIterator[Harness]:
    """The intake under a real uvicorn server (for services that call it over HTTP)."""
    async with running_live(create_intake, await make_settings()) as harness:
        yield harness
