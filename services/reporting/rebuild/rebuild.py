"""`tilts rebuild reporting`: the read models again from sequence 1, compared, then swapped in.

1. Build every read model into a fresh schema from the log, up to its last sequence now.
2. Compute every report as of the same sequence on both schemas (the live one keeps moving,
   so: the older of the two positions) and compare their sha256 fingerprints.
3. If they match (or `force`), pause the live projection, catch the fresh schema up to it,
   and swap the schemas in one transaction. A mismatch leaves the live schema alone and keeps
   the fresh one for inspection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import asyncpg

from shared.bus.eventlog import EventLog
from shared.bus.projection import advisory_lock_key
from services.reporting.projections.projection import PROJECTION_NAME
from services.reporting.projections.schema import SCHEMA
from services.reporting.queries import registry

from .catch_up import create_schema, project
from .checksums import ReportSet, checksums, report_set
from .swap import projection_paused, swap_schemas


class RebuildProgress(Protocol):
    """Where a rebuild says how far it has come."""

    def stage(self, name: str, total: int) -> None:
        """A new stage of `total` steps begins."""

    def advance(self, completed: int) -> None:
        """`completed` steps of the current stage are done."""


@dataclass(frozen=True)
class RebuildOutcome:
    """What a rebuild did and found."""

    rebuilt_to: int
    compared_at: int
    reports: int
    mismatches: tuple[str, ...]
    swapped: bool
    schema_kept: str | None = None

    @property
    def matched(self) -> bool:
        return not self.mismatches


class LogBehindReadModels(RuntimeError):
    """The log ends before the live read models' position: not the log they were built from."""


async def _live_position(pool: asyncpg.Pool) -> int | None:
    exists = await pool.fetchval("SELECT to_regclass($1) IS NOT NULL", f'"{SCHEMA}".projection_positions')
    return await registry.position(pool, SCHEMA, PROJECTION_NAME) if exists else None


async def _compare(pool: asyncpg.Pool, fresh: str, live_exists: bool, at: int,
                   progress: RebuildProgress) -> tuple[int, tuple[str, ...]]:
    which = await report_set(pool, fresh, at)
    if live_exists:
        which = which.union(await report_set(pool, SCHEMA, at))
    progress.stage("checksumming reports, rebuilt and live", 2 * which.size)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        progress.advance(done)

    rebuilt = await checksums(pool, fresh, at, which, step)
    live = await checksums(pool, SCHEMA, at, which, step) if live_exists else rebuilt
    return len(rebuilt), tuple(name for name in sorted(rebuilt) if rebuilt[name] != live.get(name))


class RebuildRunning(RuntimeError):
    """Another rebuild holds the database (two at once picked the same schema name and one crashed)."""


REBUILD_LOCK = advisory_lock_key(SCHEMA, "rebuild")


async def rebuild_reporting(pool: asyncpg.Pool, log: EventLog, progress: RebuildProgress, *, swap: bool = True,
                            force: bool = False, keep_old: bool = False) -> RebuildOutcome:
    """Rebuild, compare and (if they match, or `force`) swap in the reporting read models.

    One rebuild at a time per database: a session advisory lock is held throughout.
    """
    async with pool.acquire() as holder:
        if not await holder.fetchval("SELECT pg_try_advisory_lock($1)", REBUILD_LOCK):
            raise RebuildRunning("another `tilts rebuild reporting` is running on this database; wait for it")
        try:
            return await _rebuild(pool, log, progress, swap=swap, force=force, keep_old=keep_old)
        finally:
            await holder.execute("SELECT pg_advisory_unlock($1)", REBUILD_LOCK)


async def _rebuild(pool: asyncpg.Pool, log: EventLog, progress: RebuildProgress, *, swap: bool,
                   force: bool, keep_old: bool) -> RebuildOutcome:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    fresh, retired = f"{SCHEMA}_rebuild_{stamp}", f"{SCHEMA}_retired_{stamp}"
    target, live_position = await log.last_sequence(), await _live_position(pool)
    if live_position is not None and target < live_position:
        raise LogBehindReadModels(f"the log ends at {target} but the read models are at {live_position}")
    await create_schema(pool, fresh)
    progress.stage("rebuilding from the log", target)
    await project(pool, log, fresh, target, progress.advance)
    compared_at = min(target, live_position or 0)
    reports, mismatches = await _compare(pool, fresh, live_position is not None, compared_at, progress)
    if (mismatches and not force) or not swap:
        return RebuildOutcome(target, compared_at, reports, mismatches, False, fresh)
    progress.stage("catching up and swapping", 1)
    async with projection_paused(pool, SCHEMA, PROJECTION_NAME) as connection:
        if live_position is not None:
            await project(pool, log, fresh, await registry.position(connection, SCHEMA, PROJECTION_NAME))
        await swap_schemas(connection, SCHEMA, fresh, retired, keep_old=keep_old, live_exists=live_position is not None)
    progress.advance(1)
    return RebuildOutcome(target, compared_at, reports, mismatches, True, retired if keep_old else None)


__all__ = ["LogBehindReadModels", "RebuildOutcome", "RebuildRunning", "RebuildProgress", "ReportSet", "rebuild_reporting"]
