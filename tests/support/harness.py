"""Running services in-process against the session's real NATS and PostgreSQL.

Each harness gets its own JetStream stream (and subject prefix) and its own PostgreSQL
database, so tests never see each other's events or read models.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from shared.auth.tokens import TokenAuthority
from shared.config import Settings
from shared.roles import Role


async def create_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def fresh_settings(data_dir: Path, nats_url: str, database_url: str, **overrides: Any) -> Settings:
    suffix = uuid.uuid4().hex[:10]
    return Settings(data_dir=data_dir, nats_url=nats_url, database_url=database_url,
                    stream_name=f"EV_{suffix}", subject_prefix=f"ev{suffix}", log_format="console",
                    **overrides)


@dataclass
class Harness:
    """One running service app with an HTTP client and a token mint."""

    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    tokens: TokenAuthority
    _counter: list[int] = field(default_factory=lambda: [0])

    def token(self, role: Role | str, subject: str, *, municipalities: tuple[str, ...] = (),
              institution: str | None = None, ttl: timedelta = timedelta(hours=1)) -> str:
        return self.tokens.mint(Role(role), subject, municipalities=list(municipalities),
                                institution=institution, ttl=ttl)

    def auth(self, role: Role | str, subject: str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, subject, **kwargs)}"}


def event(type_: str, data: dict[str, Any], *, id: str | None = None, time: str | None = None,
          **extensions: Any) -> dict[str, Any]:
    """A CloudEvent as a client would post it."""
    return {"specversion": "1.0", "id": id or f"ev-{uuid.uuid4().hex}", "source": "tests/phone-1",
            "type": type_, "time": time or datetime.now(UTC).isoformat(), "data": data, **extensions}


@asynccontextmanager
async def running(create_app: Callable[[Settings], FastAPI], settings: Settings,
                  base_url: str = "http://service") -> AsyncIterator[Harness]:
    """Run an app's lifespan and give an HTTP client bound to it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url, timeout=30) as client:
            yield Harness(app, client, settings, TokenAuthority.from_settings(settings))
