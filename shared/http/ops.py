"""Liveness, readiness and metrics routes every service has."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.runtime import Runtime

from .openapi import problems
from .problems import problem

ReadinessCheck = Callable[[], Awaitable[str | None]]  # None when ready, else the reason
CHECK_SECONDS = 2.0  # checks run together; a probe gets its answer within this


def runtime_checks(runtime: Callable[[], Runtime]) -> dict[str, ReadinessCheck]:
    """The checks every service shares: NATS answers JetStream requests, PostgreSQL answers a query.

    `runtime` is called at check time: the runtime opens in the app's lifespan, after the routes exist.
    """
    async def nats() -> str | None:
        if not runtime().nc.is_connected:
            return "not connected"
        await runtime().log.last_sequence()
        return None

    async def postgres() -> str | None:
        await runtime().pool.fetchval("SELECT 1")
        return None

    return {"nats": nats, "postgres": postgres}


async def _within(check: Awaitable[str | None]) -> str | None:
    """A check's answer; a dependency that does not answer in time (a frozen server) is not ready.

    A late check is left to finish on its own rather than cancelled and awaited: cancelling a
    query sends the frozen server a cancel request, and waiting for that held /readyz 12 s.
    """
    task = asyncio.ensure_future(check)
    done, _ = await asyncio.wait({task}, timeout=CHECK_SECONDS)
    if not done:
        task.add_done_callback(_forget)
        return f"no answer in {CHECK_SECONDS:g} s"
    try:
        return task.result()
    except Exception as error:  # a failing check means "not ready", never a 500
        return f"{type(error).__name__}: {error}"


def _forget(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved


def ops_router(service: str, checks: dict[str, ReadinessCheck]) -> APIRouter:
    """`/healthz` (the process runs), `/readyz` (its dependencies answer), `/metrics`."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict:
        return {"status": "ok", "service": service}

    @router.get("/readyz", summary="Dependencies are reachable and work is flowing", responses=problems(503))
    async def readyz() -> Response:
        answers = await asyncio.gather(*(_within(check()) for check in checks.values()))
        results = dict(zip(checks, answers))
        failing = {name: reason for name, reason in results.items() if reason}
        if failing:
            return problem(503, "; ".join(f"{k}: {v}" for k, v in failing.items()),
                           headers={"Retry-After": "2"}, checks={k: v or "ok" for k, v in results.items()})
        return JSONResponse({"status": "ready", "service": service, "checks": {k: "ok" for k in results}})

    @router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
