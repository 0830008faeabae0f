"""`tilts audit`: replay the log as NDJSON, verify every aggregate's hash chain.

Exit codes: 0 done (and, for verify, intact); 1 verify found a break, or replay met a message
that is not a stored event; 2 the log could not be read (system not running, NATS unreachable,
no such stream, reading interrupted).

NATS, the event models and the audit code are imported inside the commands: they would add most
of a second to the start of every other `tilts` command.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from nats.js import JetStreamContext

    from shared.audit import VerifyReport
    from shared.config import Settings
    from shared.events.envelope import StoredEvent

audit_app = typer.Typer(help="Replay and verify the event log.", no_args_is_help=True)
errors = Console(stderr=True)

CONNECT_TIMEOUT_SECONDS = 5.0
LINES_PER_WRITE = 1000
T = TypeVar("T")

DataDir = Annotated[Path | None, typer.Option("--data-dir", envvar="TILTS_DATA_DIR",
                                              help="The data dir of a running `tilts up` (default: ./.tilts)")]


class LogUnreachable(RuntimeError):
    """The log cannot be read: no NATS URL, no server answering, or no such stream."""


def _instant(value: str | None, option: str) -> datetime | None:
    from shared.audit import parse_instant

    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as error:
        raise typer.BadParameter(f"{error} (e.g. 2020-01-14T10:00:00+02:00 or 2020-01-14T08:00:00Z)",
                                 param_hint=option) from error


def _settings(data_dir: Path | None) -> Settings:
    from shared.config import Settings
    from shared.runtime_file import with_runtime_urls

    settings = with_runtime_urls(Settings(data_dir=data_dir) if data_dir else Settings())
    if not settings.nats_url:
        raise LogUnreachable(
            f"the system is not running with data dir {settings.data_dir} (start it with `tilts up`), "
            "and TILTS_NATS_URL is not set (point it at the NATS server that holds the log)")
    return settings


@asynccontextmanager
async def _open_log(settings: Settings) -> AsyncIterator[JetStreamContext]:
    from nats.js.errors import NotFoundError

    from shared.bus.connect import connect

    try:
        nc = await asyncio.wait_for(connect(settings.nats_url or "", "tilts-audit"), CONNECT_TIMEOUT_SECONDS)
    except TimeoutError:
        raise LogUnreachable(f"no NATS server answers at {settings.nats_url}: is the system running "
                             "(`tilts up`), and does TILTS_NATS_URL point at it?") from None
    try:
        js = nc.jetstream(timeout=10)
        try:
            await js.stream_info(settings.stream_name)
        except NotFoundError:
            raise LogUnreachable(f"there is no stream {settings.stream_name} at {settings.nats_url} "
                                 "(TILTS_STREAM_NAME)") from None
        yield js
    finally:
        await nc.close()


def _run(data_dir: Path | None, work: Callable[[JetStreamContext, Settings], Awaitable[T]]) -> T:
    """Connect, do the work, and turn the ways the log can be out of reach into exit code 2."""
    from shared.audit import ReadInterrupted
    from shared.observability.logs import configure_logging

    configure_logging("error", "console")  # to stderr (stdout carries the output); no reconnect chatter
    try:
        settings = _settings(data_dir)

        async def main() -> T:
            async with _open_log(settings) as js:
                return await work(js, settings)

        return asyncio.run(main())
    except (LogUnreachable, ReadInterrupted) as error:
        errors.print(f"[red]Cannot read the log:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _write_lines(lines: list[bytes], out: BinaryIO) -> None:
    if lines:
        out.write(b"\n".join(lines) + b"\n")
        lines.clear()


async def _write_ndjson(events: AsyncIterator[StoredEvent], out: BinaryIO) -> None:
    lines: list[bytes] = []
    try:
        async for event in events:
            lines.append(event.__pydantic_serializer__.to_json(event, exclude_none=True))  # bytes, 2x model_dump_json
            if len(lines) >= LINES_PER_WRITE:
                _write_lines(lines, out)
    finally:
        _write_lines(lines, out)  # events read before an error are printed too
        out.flush()


@audit_app.command("replay")
def replay_command(
    from_sequence: Annotated[int, typer.Option(min=1, help="First sequence to read")] = 1,
    to_sequence: Annotated[int | None, typer.Option(
        min=1, help="Last sequence to read (default: the last one when the replay starts)")] = None,
    from_time: Annotated[str | None, typer.Option(help="Keep events at or after this RFC 3339 time")] = None,
    to_time: Annotated[str | None, typer.Option(help="Keep events before this RFC 3339 time")] = None,
    types: Annotated[list[str] | None, typer.Option("--type", help="Keep this CloudEvents type (repeatable)")] = None,
    recorded_time: Annotated[bool, typer.Option(
        "--recorded-time", help="Filter on when the server recorded events instead of their `time`")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print stored events in sequence order as NDJSON (one event per line, with `sequence`)."""
    from shared.audit import UnreadableEvent, replay

    window = _instant(from_time, "--from-time"), _instant(to_time, "--to-time")

    async def work(js: JetStreamContext, settings: Settings) -> None:
        events = replay(js, stream=settings.stream_name, from_sequence=from_sequence, to_sequence=to_sequence,
                        from_time=window[0], to_time=window[1], types=set(types) if types else None,
                        time_field="recordedtime" if recorded_time else "time")
        async with aclosing(events):
            await _write_ndjson(events, sys.stdout.buffer)

    try:
        _run(data_dir, work)
    except UnreadableEvent as error:
        errors.print(f"[red]{escape(str(error))}[/]; `tilts audit verify` checks the whole log", soft_wrap=True)
        raise typer.Exit(1) from None
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from failing to flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _print_report(report: VerifyReport, console: Console) -> None:
    summary = Table.grid(padding=(0, 2))
    summary.add_row("stream", f"{report.stream} (up to sequence {report.last_sequence})")
    summary.add_row("events checked", str(report.events))
    summary.add_row("aggregates", str(report.aggregates))
    result = ("[green]intact[/]: every hash chain verifies" if report.intact
              else f"[red]BROKEN[/]: {report.break_count} break{'s' if report.break_count != 1 else ''}")
    summary.add_row("result", result)
    console.print(summary)
    if report.first_break is not None:
        console.print(f"First break: {report.first_break}", soft_wrap=True, markup=False, highlight=False)
        for found in report.breaks[1:]:
            console.print(f"  then: {found}", soft_wrap=True, markup=False, highlight=False)
        if report.break_count > len(report.breaks):
            console.print(f"  ... and {report.break_count - len(report.breaks)} more (--limit)")


@audit_app.command("verify")
def verify_command(
    limit: Annotated[int, typer.Option(min=1, help="How many breaks to list")] = 20,
    data_dir: DataDir = None,
) -> None:
    """Recompute every aggregate's hash chain; exit 1 and name the first break if one is broken."""
    from shared.audit import verify_chains

    async def work(js: JetStreamContext, settings: Settings) -> VerifyReport:
        return await verify_chains(js, stream=settings.stream_name, subject_prefix=settings.subject_prefix,
                                   limit=limit)

    report = _run(data_dir, work)
    _print_report(report, Console())
    raise typer.Exit(0 if report.intact else 1)
