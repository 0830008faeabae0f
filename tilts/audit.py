"""`tilts audit`: replay the log as NDJSON, verify every aggregate's hash chain and the notary's
signed Merkle checkpoints, prove consistency and inclusion from them.

Exit codes: 0 done (and, for verify, intact; for prove and inclusion, PASS); 1 verify found a
break, prove or inclusion failed, or replay met a message that is not a stored event; 2 the log
could not be read (system not running, NATS unreachable, no such stream, reading interrupted),
or there was nothing to check against (no checkpoint yet, no notary key).

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

from .options import DataDir, running_settings, settings_for

if TYPE_CHECKING:
    from nats.js import JetStreamContext

    from shared.audit import VerifyReport
    from shared.audit.checkpoints import CheckpointReport
    from shared.audit.notarised import ConsistencyResult, InclusionResult
    from shared.config import Settings
    from shared.events.envelope import StoredEvent
    from shared.notary.checkpoints import Checkpoint
    from shared.notary.keys import NotaryKey

audit_app = typer.Typer(help="Replay and verify the event log; prove from the notary's checkpoints.",
                        no_args_is_help=True)
errors = Console(stderr=True)

CONNECT_TIMEOUT_SECONDS = 5.0
LINES_PER_WRITE = 1000
T = TypeVar("T")

NotaryKeyFile = Annotated[Path | None, typer.Option(
    "--notary-key", exists=True, dir_okay=False,
    help="The notary's public key as `tilts audit notary-key` printed it (PEM or C2SP verifier key); "
         "default: derived from the data dir's private key")]
CheckpointFile = Annotated[Path | None, typer.Option(
    "--checkpoint", exists=True, dir_okay=False, help="A checkpoint saved from `tilts audit checkpoint`")]


class LogUnreachable(RuntimeError):
    """The log cannot be read: no NATS URL, no server answering, or no such stream."""


class NothingToCheck(RuntimeError):
    """A proof was asked for but there is nothing to prove against: no checkpoint yet, no notary key."""


def _bound(value: str | None, option: str, *, upper: bool) -> datetime | None:
    """A window bound read as the HTTP replay reads it (a Riga day, or an RFC 3339 time)."""
    from shared.audit import parse_bound

    if value is None:
        return None
    try:
        return parse_bound(value, upper=upper)
    except ValueError as error:
        raise typer.BadParameter(f"{error} (e.g. 2020-01-14, 2020-01-14T10:00:00+02:00 or 2020-01-14T08:00:00Z)",
                                 param_hint=option) from error


def _settings(data_dir: Path | None) -> Settings:
    settings = running_settings(data_dir)
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
    except NothingToCheck as error:
        errors.print(f"[red]Nothing to check against:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _write_lines(lines: list[bytes], out: BinaryIO) -> None:
    if lines:
        out.write(b"\n".join(lines) + b"\n")
        lines.clear()


async def _write_ndjson(events: AsyncIterator[StoredEvent], out: BinaryIO) -> None:
    from shared.canonical import canonical_json

    lines: list[bytes] = []
    try:
        async for event in events:
            # canonical JSON (sorted keys), byte for byte what GET /v1/audit/events streams
            lines.append(canonical_json(event.as_json()))
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
    from_time: Annotated[str | None, typer.Option(
        help="Keep events at or after this RFC 3339 time, or from the start of this Riga day (YYYY-MM-DD)")] = None,
    to_time: Annotated[str | None, typer.Option(
        help="Keep events up to and including this RFC 3339 time, or to the end of this Riga day")] = None,
    types: Annotated[list[str] | None, typer.Option("--type", help="Keep this CloudEvents type (repeatable)")] = None,
    recorded_time: Annotated[bool, typer.Option(
        "--recorded-time", help="Filter on when the server recorded events instead of their `time`")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print stored events in sequence order as NDJSON (one event per line, with `sequence`)."""
    from shared.audit import UnreadableEvent, replay, unknown_types

    window = _bound(from_time, "--from-time", upper=False), _bound(to_time, "--to-time", upper=True)
    if types and (unknown := unknown_types(types)):
        raise typer.BadParameter(f"not an event type of the catalogue: {', '.join(unknown)}", param_hint="--type")

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


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def _print_lines(console: Console, first: str, found: tuple, total: int) -> None:
    console.print(f"{first}: {found[0]}", soft_wrap=True, markup=False, highlight=False)
    for later in found[1:]:
        console.print(f"  then: {later}", soft_wrap=True, markup=False, highlight=False)
    if total > len(found):
        console.print(f"  ... and {total - len(found)} more (--limit)")


def _checkpoints_row(checkpoints: CheckpointReport | None, unchecked: int) -> str:
    if unchecked:
        return (f"[yellow]{_plural(unchecked, 'checkpoint')} NOT checked[/]: no notary public key "
                "(--notary-key, from `tilts audit notary-key`)")
    if checkpoints is None:
        # Every intake signs checkpoints unless TILTS_NOTARY_ENABLED=false: a log without any may
        # have been rebuilt without them, which the hash chains alone cannot show.
        return ("[yellow]none[/]: no notary has signed this log. Unless the intake ran with "
                "TILTS_NOTARY_ENABLED=false, that is itself a finding: check against checkpoints kept "
                "outside the system (`tilts audit prove`)")
    latest = checkpoints.latest
    last = f"; the last covers {latest.size:,} events ({latest.time})" if latest else ""
    return f"{_plural(checkpoints.checkpoints, 'checkpoint')}, notary key {checkpoints.key_id}{last}"


def _print_report(report: VerifyReport, console: Console, unchecked: int = 0) -> None:
    checkpoints = report.checkpoints
    checkpoint_breaks = checkpoints.break_count if checkpoints else 0
    summary = Table.grid(padding=(0, 2))
    summary.add_row("stream", f"{report.stream} (up to sequence {report.last_sequence})")
    summary.add_row("events checked", str(report.events))
    summary.add_row("aggregates", str(report.aggregates))
    summary.add_row("checkpoints", _checkpoints_row(checkpoints, unchecked))
    total = report.break_count + checkpoint_breaks
    if report.intact:
        result = "[green]intact[/]: every hash chain verifies" + (
            f", and the log matches every checkpoint (Merkle roots up to sequence {checkpoints.covered:,})"
            if checkpoints else "")
    else:
        result = f"[red]BROKEN[/]: {_plural(total, 'break')}"
    summary.add_row("result", result)
    console.print(summary)
    if report.first_break is not None:
        _print_lines(console, "First break", report.breaks, report.break_count)
    if checkpoints is not None and checkpoints.breaks:
        _print_lines(console, "First checkpoint break", checkpoints.breaks, checkpoints.break_count)


@audit_app.command("verify")
def verify_command(
    limit: Annotated[int, typer.Option(min=1, help="How many breaks to list")] = 20,
    notary_key: NotaryKeyFile = None,
    data_dir: DataDir = None,
) -> None:
    """Recompute every aggregate's hash chain and the notary's Merkle checkpoints; exit 1 and name the first break."""
    from shared.audit import verify_chains
    from shared.audit.notarised import NoNotaryKey, checkpoint_checker

    unchecked = 0

    async def work(js: JetStreamContext, settings: Settings) -> VerifyReport:
        nonlocal unchecked
        key = _notary_key(notary_key, settings)
        try:
            checker = await checkpoint_checker(js, stream=settings.stream_name,
                                               subject_prefix=settings.subject_prefix, key=key, limit=limit)
        except NoNotaryKey as missing:
            checker, unchecked = None, missing.count
        return await verify_chains(js, stream=settings.stream_name, subject_prefix=settings.subject_prefix,
                                   limit=limit, checkpoints=checker)

    report = _run(data_dir, work)
    _print_report(report, Console(), unchecked)
    if unchecked:
        errors.print("[yellow]The checkpoints were not checked:[/] pass the notary's public key with --notary-key.",
                     soft_wrap=True)
    raise typer.Exit(0 if report.intact else 1)


# --- the notary's checkpoints -----------------------------------------------------------------

def _notary_key(path: Path | None, settings: Settings) -> NotaryKey | None:
    """The key from --notary-key, else the public half of the data dir's notary key, else None."""
    from shared.notary.keys import KeyFormatError, NotaryKey, public_key_of

    if path is None:
        return public_key_of(settings)
    try:
        return NotaryKey.parse(path.read_text(encoding="utf-8"), settings.stream_name)
    except (KeyFormatError, UnicodeDecodeError) as error:
        raise typer.BadParameter(str(error), param_hint="--notary-key") from None


def _required_key(path: Path | None, settings: Settings) -> NotaryKey:
    key = _notary_key(path, settings)
    if key is None:
        raise NothingToCheck(f"no notary key: pass --notary-key (the notary's public key), or run where "
                             f"{settings.keys_dir} holds notary-ed25519.pem")
    return key


def _saved_checkpoint(path: Path) -> Checkpoint:
    from shared.notary.checkpoints import Checkpoint, CheckpointFormatError

    try:
        return Checkpoint.from_bytes(path.read_bytes())
    except CheckpointFormatError as error:
        raise typer.BadParameter(f"{path} is not a checkpoint: {error}", param_hint="--checkpoint") from None


async def _latest_checkpoint(js: JetStreamContext, settings: Settings) -> tuple[int, Checkpoint]:
    from shared.notary.store import CheckpointStore

    store = CheckpointStore(js, log_stream=settings.stream_name, subject_prefix=settings.subject_prefix)
    latest = await store.latest()
    if latest is None:
        raise NothingToCheck(f"{store.stream} holds no checkpoint yet: is the intake's notary running?")
    if latest.checkpoint is None:
        raise NothingToCheck(f"the latest checkpoint ({latest.number}) is unreadable: {latest.unreadable}; "
                             "`tilts audit verify` checks them all")
    return latest.number, latest.checkpoint


def _describe(checkpoint: Checkpoint, key: NotaryKey) -> str:
    signature = "signature ok" if key.verifies(checkpoint) else "[red]signature does NOT verify[/]"
    return f"size {checkpoint.size:,} · root {checkpoint.root.hex()} · {checkpoint.time} · {signature}"


def _print_proof(console: Console, title: str, proof: tuple[bytes, ...]) -> None:
    console.print(f"{title}, {_plural(len(proof), 'hash', 'hashes')}:", highlight=False)
    for number, node in enumerate(proof, start=1):
        console.print(f"  {number:>2}  {node.hex()}", highlight=False)


def _fail(console: Console, problems: list[str]) -> None:
    console.print("[red]FAIL[/]: " + "; ".join(problems), soft_wrap=True, highlight=False)
    raise typer.Exit(1)


def _verdict(console: Console, problems: list[str], passed: str) -> None:
    if problems:
        _fail(console, problems)
    console.print(f"[green]PASS[/]: {passed}", soft_wrap=True, highlight=False)


@audit_app.command("notary-key")
def notary_key_command(
    format: Annotated[str, typer.Option("--format", help="pem, or vkey (a C2SP signed-note verifier key)")] = "pem",
    data_dir: DataDir = None,
) -> None:
    """Print the notary's public key: auditors keep it to check checkpoints without the private key."""
    from shared.notary.keys import key_path, public_key_of

    if format not in ("pem", "vkey"):
        raise typer.BadParameter("pem or vkey", param_hint="--format")
    settings = settings_for(data_dir)
    key = public_key_of(settings)
    if key is None:
        errors.print(f"[red]No notary key[/] at {escape(str(key_path(settings)))}: the intake's notary creates it "
                     "when it first starts.", soft_wrap=True)
        raise typer.Exit(2)
    print(key.pem().strip() if format == "pem" else key.vkey())


@audit_app.command("checkpoint")
def checkpoint_command(
    number: Annotated[int | None, typer.Option(min=1, help="Which checkpoint (default: the latest)")] = None,
    note: Annotated[bool, typer.Option("--note", help="Print it as a C2SP signed note instead of JSON")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print a checkpoint as JSON, for an auditor to keep (`tilts audit prove --checkpoint FILE` later)."""
    import json

    from shared.notary.store import CheckpointStore

    async def work(js: JetStreamContext, settings: Settings) -> Checkpoint:
        if number is None:
            return (await _latest_checkpoint(js, settings))[1]
        store = CheckpointStore(js, log_stream=settings.stream_name, subject_prefix=settings.subject_prefix)
        if number > await store.count():
            raise NothingToCheck(f"there is no checkpoint {number} in {store.stream}")
        recorded = await store.get(number)
        if recorded.checkpoint is None:
            raise NothingToCheck(f"checkpoint {number} is unreadable: {recorded.unreadable}")
        return recorded.checkpoint

    checkpoint = _run(data_dir, work)
    print(checkpoint.note() if note else json.dumps(checkpoint.as_json(), indent=2), end="" if note else "\n")


@audit_app.command("prove")
def prove_command(
    checkpoint: Annotated[Path, typer.Option(exists=True, dir_okay=False,
                                             help="A checkpoint saved from `tilts audit checkpoint`")],
    notary_key: NotaryKeyFile = None,
    data_dir: DataDir = None,
) -> None:
    """Prove the latest checkpoint extends a saved one: nothing it covered was rewritten since."""
    from shared.audit.notarised import prove_consistency

    saved = _saved_checkpoint(checkpoint)
    console = Console()

    async def work(js: JetStreamContext, settings: Settings) -> ConsistencyResult:
        key = _required_key(notary_key, settings)
        if saved.log != settings.stream_name:
            raise typer.BadParameter(f"the checkpoint is of log {saved.log}, not {settings.stream_name} "
                                     "(TILTS_STREAM_NAME)", param_hint="--checkpoint")
        number, latest = await _latest_checkpoint(js, settings)
        console.print(f"saved checkpoint    {_describe(saved, key)}", soft_wrap=True, highlight=False)
        console.print(f"latest checkpoint   {number}: {_describe(latest, key)}", soft_wrap=True, highlight=False)
        problems = [f"the {which} checkpoint's signature does not verify with the notary key "
                    f"({key.key_id.hex()}): it was forged or altered"
                    for which, found in (("saved", saved), ("latest", latest)) if not key.verifies(found)]
        if saved.size > latest.size:
            problems.append(f"the saved checkpoint covers {saved.size:,} events, more than the latest "
                            f"({latest.size:,}): checkpoints were removed or the log was replaced")
        if problems:
            _fail(console, problems)
        return await prove_consistency(js, stream=settings.stream_name, first=saved, second=latest)

    result = _run(data_dir, work)
    sizes = f"{result.first.size:,} → {result.second.size:,} events"
    _print_proof(console, f"consistency proof   RFC 9162 §2.1.4, {sizes}", result.proof)
    console.print(f"the log today       {_plural(result.log_size, 'event')} of {result.second.size:,} read; "
                  f"first {result.first.size:,} hash to the saved root: {_yes(result.first_root_in_log)}; "
                  f"first {result.second.size:,} to the latest root: {_yes(result.second_root_in_log)}",
                  soft_wrap=True, highlight=False)
    problems = [] if result.proof_verifies else ["the consistency proof does not verify against the two signed roots"]
    if not result.first_root_in_log:
        problems.append(f"the log's first {saved.size:,} events are no longer those of the saved checkpoint: "
                        "they were rewritten")
    elif not result.second_root_in_log:
        problems.append(f"the log's first {result.second.size:,} events are not those of the latest checkpoint")
    _verdict(console, problems, f"the latest checkpoint extends yours, and the log's first {saved.size:,} "
                                "events are as they were when it was signed")


def _yes(value: bool) -> str:
    return "[green]yes[/]" if value else "[red]NO[/]"


@audit_app.command("inclusion")
def inclusion_command(
    sequence: Annotated[int, typer.Option(min=1, help="The event's sequence")],
    checkpoint: CheckpointFile = None,
    notary_key: NotaryKeyFile = None,
    data_dir: DataDir = None,
) -> None:
    """Print an inclusion proof of one event in the latest checkpoint (or a saved one), and check it."""
    from shared.audit.notarised import prove_inclusion

    saved = _saved_checkpoint(checkpoint) if checkpoint else None
    console = Console()

    async def work(js: JetStreamContext, settings: Settings) -> InclusionResult:
        key = _required_key(notary_key, settings)
        number, signed = (None, saved) if saved else await _latest_checkpoint(js, settings)
        assert signed is not None
        which = f"checkpoint {number}" if number else "saved checkpoint"
        console.print(f"{which:<19} {_describe(signed, key)}", soft_wrap=True, highlight=False)
        if not key.verifies(signed):
            _fail(console, [f"the {which}'s signature does not verify with the notary key: it was forged or altered"])
        if sequence > signed.size:
            raise NothingToCheck(f"sequence {sequence:,} is after the {signed.size:,} events the {which} covers: "
                                 "wait for the next checkpoint")
        return await prove_inclusion(js, stream=settings.stream_name, sequence=sequence, checkpoint=signed)

    result = _run(data_dir, work)
    names = " · ".join(result.event.get(name, "?") for name in ("id", "type"))
    console.print(f"event               sequence {result.sequence:,} (leaf index {result.sequence - 1:,}) · {names}",
                  soft_wrap=True, highlight=False)
    console.print(f"leaf hash           {result.leaf.hex()}  (SHA-256 of 0x00 and the stored bytes)", highlight=False)
    _print_proof(console, f"inclusion proof     RFC 9162 §2.1.3, leaf {result.sequence - 1:,} of "
                          f"{result.checkpoint.size:,}", result.proof)
    problems = [] if result.proof_verifies else ["the inclusion proof does not verify against the signed root"]
    if not result.root_in_log:
        problems.append(f"the log's first {result.checkpoint.size:,} events are not those the checkpoint signed")
    _verdict(console, problems, f"event {result.sequence:,} is in the tree the notary signed at size "
                                f"{result.checkpoint.size:,}")
