"""ASGI apps under a real uvicorn server on a loopback port, in-process, for tests that need
real HTTP (one service calling another, a webhook receiver) rather than an in-memory transport."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from shared.auth.tokens import TokenAuthority
from shared.config import Settings
from shared.embedded import free_port

from .harness import Harness


class _InProcessServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # leave the test runner's signal handling alone


@asynccontextmanager
async def serving(app: ASGIApp, *, lifespan: str = "on", host: str = "127.0.0.1",
                  startup_timeout: float = 60) -> AsyncIterator[str]:
    """Serve `app` on a free port until the block ends; yields its base URL."""
    port = free_port(host)
    config = uvicorn.Config(app, host=host, port=port, lifespan=lifespan, log_config=None, access_log=False,
                            timeout_graceful_shutdown=5)
    server = _InProcessServer(config)
    task = asyncio.create_task(server.serve(), name=f"uvicorn:{port}")
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if task.done():
            raise RuntimeError(f"the server on port {port} did not start: {task.exception()!r}")
        if time.monotonic() > deadline:
            task.cancel()
            raise TimeoutError(f"the server on port {port} did not start in {startup_timeout} s")
        await asyncio.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@asynccontextmanager
async def running_live(create_app: Callable[[Settings], FastAPI], settings: Settings) -> AsyncIterator[Harness]:
    """A service app on a real port (its lifespan run by uvicorn), with a client bound to it."""
    app = create_app(settings)
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield Harness(app, client, settings, TokenAuthority.from_settings(settings))
