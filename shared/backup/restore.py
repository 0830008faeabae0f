"""Restoring a backup into an empty data dir, so that `tilts up --data-dir DIR` serves what it held.

Nothing is written until the backup has been checked: its manifest, every file's size and
SHA-256, the stream names the settings expect, and the master key (against the id the manifest
records). Then the embedded NATS and PostgreSQL servers are started in the data dir where `tilts
up` will look for them, the streams are restored with JetStream's restore API and compared with
the manifest, the database dumps are loaded, every erasure the log records is carried out again
on the restored family keys, the log's hash chains and checkpoints are verified, and the servers
stop. If anything fails once writing has begun, the data dir is emptied again (it was empty).
The restore holds the data dir's lock all along, as `tilts up` does, so a `tilts up` started on
it meanwhile refuses instead of starting a second nats-server on the store being written.

The read models come back at the positions they had when they were dumped, at or behind the
log's end; the services catch them up from the log when they start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import nats.errors
from nats.js import JetStreamContext

from shared.audit import VerifyReport, verify_chains
from shared.audit.notarised import NoNotaryKey, checkpoint_checker
from shared.bus.connect import connect
from shared.config import Settings
from shared.data_dir_lock import LOCK_FILE, DataDirInUse, hold_data_dir
from shared.db.pool import create_pool
from shared.embedded import EmbeddedNats, EmbeddedPostgres
from shared.notary.keys import public_key_of

from .erasures import erased_families, shred_erased
from .errors import BackupError
from .folders import NotEmpty, clear, require_empty
from .jetstream import restore_stream
from .keys import (KEYS_FOLDER, MASTER_KEY_FILE, current_master_key, encoded, master_key_id, read_master_key,
                   write_private)
from .manifest import Manifest, StreamPart, check_files, read_manifest
from .postgres import restore_dump
from .progress import Progress, Silent

# Where `tilts up` keeps the embedded servers' data under the data dir (tilts/up.py).
NATS_FOLDER = "nats"
POSTGRES_FOLDER = "postgres"
# The stream state a restore must reproduce exactly.
STATE_FIELDS = ("messages", "first_seq", "last_seq", "bytes")


class RestoreRefused(BackupError):
    """The restore was refused before anything was written."""


class RestoreFailed(BackupError):
    """The restore failed after it began writing; the data dir was emptied again."""


@dataclass(frozen=True)
class RestoreOutcome:
    """What a restore put in the data dir."""

    data_dir: Path
    manifest: Manifest
    last_sequences: dict[str, int]          # stream -> last sequence, as restored
    positions: dict[str, int]               # projection -> position the restored read model starts from
    erased_families: int                    # families the restored log records as erased
    keys_destroyed_again: tuple[str, ...]   # families whose restored key was live and is destroyed again
    master_key_file_written: bool           # False: the restored system needs TILTS_MASTER_KEY
    verification: VerifyReport | None       # None: not verified (--no-verify)


@dataclass(frozen=True)
class MasterKey:
    """The master key to restore with, and whether it belongs in the data dir as a file."""

    key: bytes
    from_environment: bool


def _check_settings(settings: Settings, manifest: Manifest) -> None:
    if (settings.stream_name, settings.subject_prefix) != (manifest.stream_name, manifest.subject_prefix):
        raise RestoreRefused(
            f"the backup holds stream {manifest.stream_name} (subjects {manifest.subject_prefix}.>), but the "
            f"settings name {settings.stream_name} ({settings.subject_prefix}.>): set TILTS_STREAM_NAME="
            f"{manifest.stream_name} and TILTS_SUBJECT_PREFIX={manifest.subject_prefix}, here and for the "
            "restored system")


def _master_key(settings: Settings, backup: Path, manifest: Manifest, master_key_file: Path | None) -> MasterKey:
    """The master key from --master-key, else the backup, else TILTS_MASTER_KEY; refused unless it is the backup's."""
    if master_key_file is not None:
        key, where = read_master_key(master_key_file, str(master_key_file)), str(master_key_file)
    elif manifest.master_key.included:
        key, where = read_master_key(backup / KEYS_FOLDER / MASTER_KEY_FILE, "the backup's master key"), "the backup"
    elif settings.master_key:
        key, where = current_master_key(settings), "TILTS_MASTER_KEY"
    else:
        raise RestoreRefused("the backup does not hold the master key (it was taken without --with-master-key): "
                             "pass --master-key FILE (the master.key kept apart from the backups) or set "
                             "TILTS_MASTER_KEY")
    if master_key_id(key) != manifest.master_key.id:
        raise RestoreRefused(f"the master key from {where} (id {master_key_id(key)}) is not the one this backup's "
                             f"family keys are wrapped with (id {manifest.master_key.id})")
    if settings.master_key and current_master_key(settings) != key:
        raise RestoreRefused("TILTS_MASTER_KEY is set to another key than the backup's: the restored system "
                             "would not open the family keys; unset it, or set it to the backup's key")
    return MasterKey(key, from_environment=where == "TILTS_MASTER_KEY")


def check_backup(settings: Settings, backup: Path, master_key_file: Path | None = None,
                 progress: Progress | None = None) -> tuple[Manifest, MasterKey]:
    """Everything a restore checks before it writes: manifest, files, stream names, master key."""
    manifest = read_manifest(backup)
    _check_settings(settings, manifest)
    (progress or Silent()).stage("checking the backup's files", None)
    check_files(backup, manifest)
    return manifest, _master_key(settings, backup, manifest, master_key_file)


def _place_keys(backup: Path, manifest: Manifest, settings: Settings, master_key: MasterKey) -> bool:
    """Put the key files into the data dir; whether the master key is among them."""
    for name in manifest.key_files:
        write_private(settings.keys_dir / Path(name).name, (backup / name).read_bytes())
    master_path = settings.keys_dir / MASTER_KEY_FILE
    if not master_path.exists() and not master_key.from_environment:
        write_private(master_path, encoded(master_key.key))
    return master_path.exists()


def _check_state(part: StreamPart, restored: dict[str, Any]) -> None:
    # An empty stream's first sequence means nothing (the server says 0 or last + 1).
    fields = STATE_FIELDS if part.messages else tuple(field for field in STATE_FIELDS if field != "first_seq")
    differ = [f"{field} {restored.get(field)} (backup: {part.state.get(field)})"
              for field in fields if restored.get(field) != part.state.get(field)]
    if differ:
        raise RestoreFailed(f"the restored stream {part.name} differs from the backup: {', '.join(differ)}")


async def _restore_streams(nats_url: str, backup: Path, manifest: Manifest, progress: Progress) -> dict[str, int]:
    nc = await connect(nats_url, "tilts-restore")
    try:
        restored: dict[str, int] = {}
        for part in manifest.streams:
            progress.stage(f"stream {part.name}", manifest.files[part.file].bytes)
            # One embedded server: a stream replicated on a cluster comes back unreplicated.
            config = {**part.config, "num_replicas": 1}
            state = await restore_stream(nc, backup / part.file, config, part.state, progress.advance)
            _check_state(part, state)
            restored[part.name] = int(state["last_seq"])
        return restored
    finally:
        await nc.close()


async def _positions(pool: asyncpg.Pool, schemas: tuple[str, ...]) -> dict[str, int]:
    """Each restored projection's position (the last sequence its read model includes)."""
    found: dict[str, int] = {}
    for schema in schemas:
        if await pool.fetchval("SELECT to_regclass($1) IS NOT NULL", f'"{schema}".projection_positions'):
            for row in await pool.fetch(f'SELECT name, position FROM "{schema}".projection_positions ORDER BY name'):
                found[row["name"]] = int(row["position"])
    return found


async def _verify(js: JetStreamContext, settings: Settings, progress: Progress) -> VerifyReport:
    progress.stage("verifying the restored log (hash chains, checkpoints)")
    try:
        checker = await checkpoint_checker(js, stream=settings.stream_name, subject_prefix=settings.subject_prefix,
                                           key=public_key_of(settings))
    except NoNotaryKey as missing:
        progress.note(f"{missing.count} checkpoints not checked: the backup holds no notary key")
        checker = None
    return await verify_chains(js, stream=settings.stream_name, subject_prefix=settings.subject_prefix,
                               checkpoints=checker)


@dataclass(frozen=True)
class Loaded:
    """What went into the servers."""

    last_sequences: dict[str, int]
    positions: dict[str, int]
    erased_families: int
    keys_destroyed_again: tuple[str, ...]
    verification: VerifyReport | None


async def _load(settings: Settings, backup: Path, manifest: Manifest, master_key: bytes, verify: bool,
                progress: Progress) -> Loaded:
    last_sequences = await _restore_streams(settings.nats_url or "", backup, manifest, progress)
    url = settings.database_url or ""
    for part, what in ((manifest.database, "read models"), (manifest.family_keys, "family keys")):
        progress.stage(f"{what} (pg_restore)")
        await asyncio.to_thread(restore_dump, url, backup / part.file)
    nc = await connect(settings.nats_url or "", "tilts-restore")
    pool = await create_pool(url, min_size=1, max_size=2, application_name="tilts-restore")
    try:
        js = nc.jetstream(timeout=30)
        progress.stage("erasures recorded in the log")
        erased = await erased_families(js, manifest.stream_name)
        destroyed = await shred_erased(pool, master_key, erased)
        positions = await _positions(pool, manifest.database.schemas)
        report = await _verify(js, settings, progress) if verify else None
    finally:
        await pool.close()
        await nc.close()
    return Loaded(last_sequences, positions, len(erased), tuple(destroyed), report)


def _start_servers(settings: Settings, stack: ExitStack, progress: Progress) -> Settings:
    """The embedded servers in the data dir, stopped when the stack closes; settings pointing at them."""
    progress.stage("starting NATS and PostgreSQL in the data dir")
    nats_server = EmbeddedNats(settings.data_dir / NATS_FOLDER)
    nats_server.start()
    stack.callback(nats_server.stop)
    postgres = EmbeddedPostgres(settings.data_dir / POSTGRES_FOLDER)
    postgres.start()
    stack.callback(postgres.stop)
    return settings.model_copy(update={"nats_url": nats_server.url, "database_url": postgres.url})


@contextmanager
def _held(data_dir: Path) -> Iterator[None]:
    """Hold the data dir's lock (making the dir) while the restore runs, then leave no trace of it.

    The lock file the restore made goes again, while still held: a `tilts up` that opened it in
    between finds it locked and refuses, rather than locking a file about to vanish. A dir the
    restore made and left empty (refused, or failed) goes too.
    """
    existed, lock_existed = data_dir.exists(), (data_dir / LOCK_FILE).exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        handle = hold_data_dir(data_dir, holder="tilts restore")
    except DataDirInUse as in_use:
        raise RestoreRefused(f"{data_dir} is in use by {in_use.holder} (pid {in_use.pid}): a backup is restored "
                             "only into a new or empty data dir that nothing runs on; restore into another "
                             "--data-dir") from None
    try:
        yield
    finally:
        if not lock_existed:
            (data_dir / LOCK_FILE).unlink(missing_ok=True)
        if not existed:
            with suppress(OSError):  # not empty: the restored system is in it
                data_dir.rmdir()
        handle.close()


def restore_backup(settings: Settings, backup: Path, *, master_key_file: Path | None = None, verify: bool = True,
                   progress: Progress | None = None) -> RestoreOutcome:
    """Restore `backup` into the (empty) data dir of `settings`; the servers are stopped again when it returns."""
    progress = progress or Silent()
    settings = settings.model_copy(update={"data_dir": settings.data_dir.absolute()})
    if settings.nats_url or settings.database_url:
        raise RestoreRefused("a restore starts its own NATS and PostgreSQL in the data dir: unset TILTS_NATS_URL "
                             "and TILTS_DATABASE_URL")
    if settings.data_dir.exists() and not settings.data_dir.is_dir():
        raise NotEmpty(f"{settings.data_dir} is not a directory")
    with _held(settings.data_dir):  # first: a running `tilts up` is named as such, not as "not empty"
        require_empty(settings.data_dir, "a backup is restored only into a new or empty data dir",
                      ignore=frozenset({LOCK_FILE}))
        manifest, master_key = check_backup(settings, backup, master_key_file, progress)
        return _restore_held(settings, backup, manifest, master_key, verify, progress)


def _restore_held(settings: Settings, backup: Path, manifest: Manifest, master_key: MasterKey, verify: bool,
                  progress: Progress) -> RestoreOutcome:
    """The writing part of a restore, into the held, empty data dir; emptied again if it fails."""
    try:
        master_key_written = _place_keys(backup, manifest, settings, master_key)
        with ExitStack() as servers:
            running = _start_servers(settings, servers, progress)
            loaded = asyncio.run(_load(running, backup, manifest, master_key.key, verify, progress))
            progress.stage("stopping the servers")
    except (BackupError, OSError, RuntimeError, TimeoutError, asyncpg.PostgresError, nats.errors.Error) as error:
        clear(settings.data_dir, existed=True, keep=frozenset({LOCK_FILE}))
        raise RestoreFailed(f"{error} (the data dir {settings.data_dir} was emptied again)") from error
    except BaseException:
        clear(settings.data_dir, existed=True, keep=frozenset({LOCK_FILE}))
        raise
    return RestoreOutcome(settings.data_dir, manifest, loaded.last_sequences, loaded.positions,
                          loaded.erased_families, loaded.keys_destroyed_again, master_key_written,
                          loaded.verification)
