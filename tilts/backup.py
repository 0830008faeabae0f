"""`tilts backup DIR` and `tilts restore DIR`: a consistent copy of a running system, and a new data dir from one.

Exit codes: 0 done; 1 (restore) the backup was restored but its log does not verify (the data dir
is kept, for inspection); 2 nothing was done: the system is not running, the directory is not
empty, a backup file is damaged, the master key is missing or wrong, or a server refused.

What goes into a backup and why, and how long backups may be kept: docs/operations.md,
"Backup and restore". The servers' clients and the services' schema names are imported inside
the commands, so other `tilts` commands start fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.filesize import decimal
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from .options import DataDir, running_settings, settings_for

if TYPE_CHECKING:
    from shared.backup.manifest import Manifest
    from shared.backup.restore import RestoreOutcome

console = Console(stderr=True)


class RichProgress:
    """Each stage of a backup or a restore as a line with a bar (bytes where they are known)."""

    def __init__(self, bars: Progress) -> None:
        self._bars = bars
        self._task: TaskID | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        self._finish()
        self._task = self._bars.add_task(name, total=total, detail="")

    def advance(self, completed: int) -> None:
        if self._task is not None:
            total = self._bars.tasks[-1].total
            detail = decimal(completed) + (f" of {decimal(int(total))}" if total else "")
            self._bars.update(self._task, completed=completed, detail=detail)

    def note(self, text: str) -> None:
        self._bars.console.print(f"[yellow]{escape(text)}[/]", soft_wrap=True)

    def _finish(self) -> None:
        if self._task is not None:
            task = self._bars.tasks[-1]
            done = max(int(task.completed), int(task.total or 0), 1)
            self._bars.update(self._task, total=done, completed=done)

    def __enter__(self) -> RichProgress:
        self._bars.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._finish()
        self._bars.stop()


def _progress() -> RichProgress:
    return RichProgress(Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=console))


def _read_model_schemas() -> tuple[str, ...]:
    """Every schema worth restoring besides the family keys: event index, read models, access log, notifications."""
    from services.intake.adapters.event_index import SCHEMA as INTAKE
    from services.notifications.adapters.schema import SCHEMA as NOTIFICATIONS
    from services.reporting.projections.schema import ACCESS_SCHEMA
    from services.reporting.projections.schema import SCHEMA as REPORTING

    return (INTAKE, REPORTING, ACCESS_SCHEMA, NOTIFICATIONS)


def _fail(what: str, error: Exception) -> typer.Exit:
    console.print(f"[red]{what}:[/] {escape(str(error))}", soft_wrap=True)
    return typer.Exit(2)


def _print_backup(directory: Path, manifest: Manifest) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_row("backup", str(directory))
    table.add_row("event log", f"{manifest.log.name}: {manifest.log.messages:,} events, up to sequence "
                               f"{manifest.log.last_sequence:,}")
    table.add_row("checkpoints", f"{manifest.checkpoints.messages:,}" if manifest.checkpoints else "none")
    table.add_row("database", ", ".join((*manifest.database.schemas, *manifest.family_keys.schemas)))
    table.add_row("key files", ", ".join(Path(name).name for name in manifest.key_files) or "none")
    table.add_row("master key", f"included (id {manifest.master_key.id}): this backup alone opens every family's "
                                "personal data; keep it encrypted" if manifest.master_key.included else
                  f"[yellow]not included[/] (id {manifest.master_key.id}): a restore needs it; keep "
                  "keys/master.key apart from the backups")
    console.print(table, soft_wrap=True)


def backup_command(
    directory: Annotated[Path, typer.Argument(file_okay=False, help="A new or empty directory for the backup")],
    with_master_key: Annotated[bool, typer.Option(
        "--with-master-key", help="Also put the master key in the backup: then the backup alone opens every "
                                  "family's personal data")] = False,
    data_dir: DataDir = None,
) -> None:
    """Back up the running system: the event log and checkpoints (JetStream snapshots), the database, the key files."""
    import asyncio

    from shared.backup.errors import BackupError
    from shared.backup.take import Source, take_backup
    from shared.observability.logs import configure_logging

    configure_logging("error", "console")
    source = Source(running_settings(data_dir), _read_model_schemas())
    try:
        with _progress() as progress:
            manifest = asyncio.run(take_backup(source, directory, with_master_key=with_master_key, progress=progress))
    except BackupError as error:
        raise _fail("Cannot back up", error) from None
    _print_backup(directory, manifest)


def _print_restore(outcome: RestoreOutcome) -> None:
    manifest, report = outcome.manifest, outcome.verification
    table = Table.grid(padding=(0, 2))
    table.add_row("data dir", str(outcome.data_dir))
    table.add_row("event log", f"{manifest.log.messages:,} events, up to sequence "
                               f"{outcome.last_sequences[manifest.log.name]:,} "
                               f"(backup of {manifest.created_at:%Y-%m-%d %H:%M} UTC)")
    table.add_row("read models", ", ".join(f"{name} at {position:,}" for name, position in outcome.positions.items())
                  + " (they catch up from the log when the services start)")
    table.add_row("erasures", f"families erased in the log: {outcome.erased_families:,}; "
                              f"keys destroyed again: {len(outcome.keys_destroyed_again):,} (live in the backup)")
    table.add_row("master key", "in keys/master.key" if outcome.master_key_file_written
                  else "[yellow]not in the data dir[/]: run the restored system with the same TILTS_MASTER_KEY")
    if report is None:
        table.add_row("verified", "[yellow]no[/] (--no-verify): run `tilts audit verify` once it is up")
    else:
        table.add_row("verified", f"[green]intact[/]: {report.events:,} events, every hash chain and checkpoint"
                      if report.intact else f"[red]BROKEN[/]: {report.break_count:,} breaks; first: "
                      f"{escape(str(report.first_break))} (`tilts audit verify` tells more)")
    console.print(table, soft_wrap=True)
    console.print(f"Start it with: tilts up --data-dir {outcome.data_dir}", soft_wrap=True)


def restore_command(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="A backup made by `tilts backup`")],
    master_key: Annotated[Path | None, typer.Option(
        "--master-key", exists=True, dir_okay=False,
        help="The master.key file (when the backup was taken without --with-master-key)")] = None,
    verify: Annotated[bool, typer.Option(
        "--verify/--no-verify", help="Verify the restored log's hash chains and checkpoints")] = True,
    data_dir: DataDir = None,
) -> None:
    """Restore a backup into a new or empty data dir; then `tilts up --data-dir DIR` serves it."""
    from shared.backup.errors import BackupError
    from shared.backup.restore import restore_backup
    from shared.observability.logs import configure_logging

    configure_logging("error", "console")
    try:
        with _progress() as progress:
            outcome = restore_backup(settings_for(data_dir), directory, master_key_file=master_key, verify=verify,
                                     progress=progress)
    except BackupError as error:
        raise _fail("Cannot restore", error) from None
    _print_restore(outcome)
    raise typer.Exit(1 if outcome.verification is not None and not outcome.verification.intact else 0)
