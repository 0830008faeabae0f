"""`tilts rebuild reporting`: rebuild the read models from the log, compare, swap them in.

Exit codes: 0 the rebuilt reports match the live ones (and were swapped in); 1 they differ
(nothing swapped unless --force); 2 the log or the database could not be reached.
The service and the event models are imported inside the command, so other `tilts` commands
start fast.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from .options import DataDir, running_settings

if TYPE_CHECKING:
    from services.reporting.rebuild.rebuild import RebuildOutcome
    from shared.config import Settings

rebuild_app = typer.Typer(help="Rebuild read models from the event log.", no_args_is_help=True)
console = Console(stderr=True)
CONNECT_TIMEOUT_SECONDS = 5.0



class Unreachable(RuntimeError):
    """NATS, the stream or PostgreSQL cannot be reached."""


class RichProgress:
    """Shows each stage of a rebuild as a progress bar."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def stage(self, name: str, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)
        self._task = self._progress.add_task(name, total=max(total, 1))

    def advance(self, completed: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=completed)


def _settings(data_dir: Path | None) -> Settings:
    settings = running_settings(data_dir)
    if not settings.nats_url or not settings.database_url:
        raise Unreachable(f"the system is not running with data dir {settings.data_dir} (start it with "
                          "`tilts up`), and TILTS_NATS_URL / TILTS_DATABASE_URL are not both set")
    return settings


async def _rebuild(settings: Settings, *, force: bool, keep_old: bool, progress: RichProgress) -> RebuildOutcome:
    from nats.js.errors import NotFoundError

    from shared.bus.connect import connect
    from shared.bus.eventlog import EventLog
    from shared.bus.subjects import Subjects
    from shared.db.pool import create_pool
    from services.reporting.rebuild.rebuild import rebuild_reporting

    try:
        nc = await asyncio.wait_for(connect(settings.nats_url or "", "tilts-rebuild"), CONNECT_TIMEOUT_SECONDS)
    except (TimeoutError, OSError) as error:
        raise Unreachable(f"no NATS server answers at {settings.nats_url}") from error
    try:
        js = nc.jetstream(timeout=10)
        try:
            await js.stream_info(settings.stream_name)
        except NotFoundError:
            raise Unreachable(f"there is no stream {settings.stream_name} at {settings.nats_url}") from None
        log = EventLog(nc, js, settings.stream_name, Subjects(settings.subject_prefix))
        try:
            pool = await create_pool(settings.database_url or "", min_size=1, max_size=6,
                                     application_name="tilts-rebuild")
        except OSError as error:
            raise Unreachable(f"PostgreSQL does not answer: {error}") from error
        try:
            return await rebuild_reporting(pool, log, progress, force=force, keep_old=keep_old)
        finally:
            await pool.close()
    finally:
        await nc.close()


def _print(outcome: RebuildOutcome) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_row("rebuilt from the log", f"sequences 1 to {outcome.rebuilt_to}")
    table.add_row("reports compared", f"{outcome.reports}, as of sequence {outcome.compared_at}")
    table.add_row("result", "[green]match[/]: the rebuilt reports equal the live ones" if outcome.matched
                  else f"[red]MISMATCH[/] in {len(outcome.mismatches)} report(s)")
    table.add_row("swapped in", "yes" if outcome.swapped else "no")
    if outcome.schema_kept:
        table.add_row("kept schema", outcome.schema_kept)
    console.print(table)
    for name in outcome.mismatches[:20]:
        console.print(f"  differs: {name}", markup=False, highlight=False)


@rebuild_app.command("reporting")
def reporting(
    force: Annotated[bool, typer.Option("--force", help="Swap the rebuilt models in even if reports differ")] = False,
    keep_old: Annotated[bool, typer.Option("--keep-old", help="Keep the replaced schema, do not drop it")] = False,
    data_dir: DataDir = None,
) -> None:
    """Rebuild the reporting read models from sequence 1, compare every report, swap them in."""
    from services.reporting.rebuild.rebuild import LogBehindReadModels, RebuildRunning
    from shared.observability.logs import configure_logging

    configure_logging("error", "console")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        settings = _settings(data_dir)
        with Progress(*columns, console=console, transient=False) as bars:
            outcome = asyncio.run(_rebuild(settings, force=force, keep_old=keep_old, progress=RichProgress(bars)))
    except (Unreachable, LogBehindReadModels, RebuildRunning) as error:
        console.print(f"[red]Cannot rebuild:[/] {error}", soft_wrap=True)
        raise typer.Exit(2) from None
    _print(outcome)
    raise typer.Exit(0 if outcome.matched else 1)
