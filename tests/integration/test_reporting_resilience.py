"""The projection survives what goes wrong: a lost connection or a killed runner mid-batch, a poison
event in the log, and a rebuild from the log while the service keeps serving."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import nats
import pytest

from services.intake.bootstrap import create_app as create_intake
from services.reporting import bootstrap as reporting_bootstrap
from services.reporting.bootstrap import create_app as create_reporting
from services.reporting.projections.projection import ReportingProjection
from services.reporting.rebuild.rebuild import REBUILD_LOCK, RebuildRunning, rebuild_reporting
from shared.config import Settings
from shared.events.envelope import StoredEvent
from shared.roles import Role
from tests.support.harness import Harness, event, running
from tests.support.reporting import log_head, post_many, read, read_json
from tests.support.world import World

SEASON = {"from": "2020-01-01", "to": "2020-12-31"}


class QuietProgress:
    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, completed: int) -> None:
        pass


@dataclass
class System:
    settings: Settings
    intake: Harness
    world: World

    @property
    def auditor(self) -> dict[str, str]:
        return self.intake.auth(Role.AUDITOR, "auditor-1")


async def _work(world: World, families: int = 4, activities: int = 3, tag: str = "") -> int:
    """Families with activities on distinct days, and cooperations; the last sequence."""
    for f in range(families):
        family = await world.family(f"f{tag}{f}")
        events = [world.activity(None, f"a{tag}{f}-{n}", family_id=family)
                  | {"time": f"2020-03-{n + 1:02d}T10:00:00+02:00"} for n in range(activities - f % 2)]
        events.append(event("tilts.cooperation.recorded", {
            "cooperation_id": world.id(f"co{tag}{f}"), "institution_id": world.institution,
            "contact_id": world.contacts[0], "domain": "education", "channel": "meeting", "purpose": "x",
            "family_id": family}, time="2020-03-01T15:00:00+02:00"))
        await post_many(world.harness, world.as_mediator, events)
    return await log_head(world.harness)


@pytest.fixture
async def system(make_settings: Any, unique_id: str) -> AsyncIterator[System]:
    """An intake on a stream and database of its own, with a world in it."""
    settings = await make_settings()
    async with running(create_intake, settings) as intake:
        yield System(settings, intake, await World.create(intake, unique_id))


async def _summary(reporting: Harness, system: System, after: int) -> dict:
    return await read_json(reporting, "/v1/reports/summary", system.auditor, after=after, **SEASON)


async def _rebuilt_matches(reporting: Harness) -> None:
    runtime = reporting.app.state.runtime
    outcome = await rebuild_reporting(runtime.pool, runtime.log, QuietProgress())
    assert outcome.matched and outcome.swapped and outcome.reports > 1, outcome


# --- failures mid-batch -------------------------------------------------------------------------


class ConnectionLostMidBatch(ReportingProjection):
    """Writes a batch's rows, then loses its database session before the runner can commit (once)."""

    failures = 0

    async def apply(self, connection: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        await super().apply(connection, events)
        if len(events) > 5 and not ConnectionLostMidBatch.failures:
            ConnectionLostMidBatch.failures += 1
            await connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")


async def test_a_connection_lost_mid_batch_is_retried_and_nothing_counts_twice(
        system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    last = await _work(system.world)
    monkeypatch.setattr(reporting_bootstrap, "ReportingProjection", ConnectionLostMidBatch)
    async with running(create_reporting, system.settings) as reporting:
        summary = await _summary(reporting, system, last)
        assert ConnectionLostMidBatch.failures == 1
        place = next(m for m in summary["municipalities"] if m["municipality_id"] == system.world.municipality)
        assert (place["families_supported"], place["families_regular"], place["activities"]["total"],
                place["cooperations"]["total"]) == (4, 2, 10, 4)
        await _rebuilt_matches(reporting)
        assert (await _summary(reporting, system, last)) == summary


class Stalls(ReportingProjection):
    """Writes part of a batch and then waits for ever (until its task is cancelled)."""

    stalled = asyncio.Event()

    async def apply(self, connection: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        await super().apply(connection, events[: len(events) // 2])
        Stalls.stalled.set()
        await asyncio.Event().wait()


async def test_a_runner_killed_mid_batch_resumes_from_its_position_with_the_same_figures(
        system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    last = await _work(system.world)
    with monkeypatch.context() as patched:
        patched.setattr(reporting_bootstrap, "ReportingProjection", Stalls)
        async with running(create_reporting, system.settings) as reporting:
            await asyncio.wait_for(Stalls.stalled.wait(), 30)
            projector = reporting.app.state.projector
            projector._task.cancel()  # the runner has no "crash" button: cancel its task mid-transaction
            assert projector.position == 0
    async with running(create_reporting, system.settings) as reporting:
        summary = await _summary(reporting, system, last)
        place = next(m for m in summary["municipalities"] if m["municipality_id"] == system.world.municipality)
        assert (place["families_supported"], place["activities"]["total"]) == (4, 10)
        await _rebuilt_matches(reporting)
        assert (await _summary(reporting, system, last)) == summary


# --- poison -------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [b"this is not an event", b'{"specversion": "1.0", "id": "x"}'])
async def test_a_poison_event_stops_the_projection_and_readyz_says_where(system: System, payload: bytes) -> None:
    good = await _work(system.world, families=1)
    connection = await nats.connect(system.settings.nats_url)
    try:
        ack = await connection.jetstream().publish(f"{system.settings.subject_prefix}.m.cooperation.poison", payload,
                                                   stream=system.settings.stream_name)
    finally:
        await connection.close()
    await system.world.cooperation("after-poison")
    async with running(create_reporting, system.settings) as reporting:
        for _ in range(100):
            ready = await reporting.client.get("/readyz")
            if ready.status_code == 503 and "poison" in ready.text:
                break
            await asyncio.sleep(0.1)
        assert ready.status_code == 503 and ready.headers["content-type"] == "application/problem+json"
        assert f"poison event sequence {ack.seq}" in ready.json()["detail"]
        assert reporting.app.state.projector.position == good == ack.seq - 1
        before = await read(reporting, "/v1/cases", system.auditor, after=good)
        assert before.status_code == 200 and before.json()["as_of_sequence"] == good
        reporting.app.state.reading = dataclasses.replace(reporting.app.state.reading, wait_seconds=0.2)
        assert (await read(reporting, "/v1/cases", system.auditor, after=ack.seq)).status_code == 503


# --- rebuild ------------------------------------------------------------------------------------


def _cli_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILTS_")}
    env.update({"TILTS_NATS_URL": settings.nats_url or "", "TILTS_DATABASE_URL": settings.database_url or "",
                "TILTS_STREAM_NAME": settings.stream_name, "TILTS_SUBJECT_PREFIX": settings.subject_prefix,
                "TILTS_DATA_DIR": str(settings.data_dir)})
    return env


def _rebuild_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tilts", "rebuild", "reporting", *args], env=_cli_env(settings),
                          capture_output=True, text=True, timeout=180)


async def test_tilts_rebuild_reporting_matches_and_swaps_while_the_service_keeps_serving(system: System) -> None:
    last = await _work(system.world)
    async with running(create_reporting, system.settings) as reporting:
        before = await _summary(reporting, system, last)
        done = asyncio.get_running_loop().run_in_executor(None, _rebuild_cli, system.settings)
        while not done.done():  # reads go on during the rebuild and the swap
            assert (await read(reporting, "/v1/reports/summary", system.auditor, **SEASON)).status_code == 200
            await asyncio.sleep(0.05)
        result = await done
        assert result.returncode == 0, result.stderr
        assert "match" in result.stderr and "MISMATCH" not in result.stderr
        assert await _summary(reporting, system, last) == before
        later = await _work(system.world, families=1, tag="later")  # the live projection resumed on the new schema
        assert (await _summary(reporting, system, later))["as_of_sequence"] >= later


async def test_a_read_model_that_drifted_from_the_log_is_found_and_only_replaced_when_forced(
        system: System) -> None:
    last = await _work(system.world)
    async with running(create_reporting, system.settings) as reporting:
        before = await _summary(reporting, system, last)
        pool = reporting.app.state.runtime.pool
        await pool.execute("DELETE FROM tilts_reporting.activities WHERE activity_id = $1", system.world.id("a0-0"))
        await pool.execute("UPDATE tilts_reporting.month_activities SET n = n - 1 WHERE month = '2020-03-01'")
        drifted = await _summary(reporting, system, last)
        assert drifted["total"]["activities"]["total"] == before["total"]["activities"]["total"] - 1
        result = await asyncio.to_thread(_rebuild_cli, system.settings)
        assert result.returncode == 1 and "MISMATCH" in result.stderr
        assert "summary:total" in result.stderr and f"monthly:{system.world.mediator}:2020-03" in result.stderr
        assert await _summary(reporting, system, last) == drifted
        forced = await asyncio.to_thread(_rebuild_cli, system.settings, "--force")
        assert forced.returncode == 1 and "swapped in" in forced.stderr
        assert await _summary(reporting, system, last) == before


async def test_a_second_rebuild_while_one_runs_is_refused_cleanly(system: System) -> None:
    runtime = system.intake.app.state.runtime  # the same database the reporting models live in
    async with runtime.pool.acquire() as running_rebuild:
        await running_rebuild.execute("SELECT pg_advisory_lock($1)", REBUILD_LOCK)
        try:
            with pytest.raises(RebuildRunning, match="another"):
                await rebuild_reporting(runtime.pool, runtime.log, QuietProgress())
        finally:
            await running_rebuild.execute("SELECT pg_advisory_unlock($1)", REBUILD_LOCK)
