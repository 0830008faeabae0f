"""Taking a backup of a running system, while it keeps taking events.

The pieces are taken one after the other, in an order that makes the restored whole consistent
although each is a different moment:

1. the read models (intake's event index, reporting, its access log, notifications): one
   pg_dump, *before* the log, so every projection's stored position is at or behind the log it
   will find. A read model ahead of its log would, once new events are appended under the same
   sequence numbers, skip them as already applied. Behind, it simply catches up;
2. the notary's checkpoints, also before the log, so none covers events the restored log lacks
   (the notary would refuse to continue such a line);
3. the event log, a JetStream snapshot; its last sequence is the backup's position;
4. the family keys, *after* the log: the intake commits a family's key before it appends anything
   sealed with it, so every sealed block in the backed-up log has its key. An erasure made in
   between is kept in the keys (the family stays erased), and one the keys missed is carried out
   again by the restore from the log (see `erasures.py`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import nats.errors
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError

from shared.bus.connect import connect
from shared.config import Settings
from shared.crypto.keystore import SCHEMA as KEYS_SCHEMA
from shared.notary.store import checkpoint_stream

from .errors import BackupError
from .folders import clear, require_empty
from .jetstream import snapshot_stream
from .keys import (KEYS_FOLDER, MASTER_KEY_FILE, copy_private, current_master_key, encoded, master_key_id,
                   signing_key_files, write_private)
from .manifest import DatabasePart, Manifest, MasterKeyPart, StoredFile, StreamPart, record_file, write_manifest
from .postgres import dump_schemas, dump_tool_version, existing_schemas, server_version
from .progress import Progress, Silent

READ_MODELS_FILE = "database/read-models.dump"
FAMILY_KEYS_FILE = "database/family-keys.dump"
CONNECT_TIMEOUT_SECONDS = 10.0


class BackupFailed(BackupError):
    """The backup could not be taken (what it had written is removed)."""


@dataclass(frozen=True)
class Source:
    """The running system to back up."""

    settings: Settings
    read_model_schemas: tuple[str, ...]  # every schema besides the family keys worth restoring

    @property
    def database_url(self) -> str:
        return self.settings.database_url or ""


def stream_file(stream: str) -> str:
    """Where a stream's snapshot goes in the backup."""
    return f"streams/{stream}.tar.s2"


async def _open_nats(settings: Settings) -> NATS:
    try:
        return await asyncio.wait_for(connect(settings.nats_url or "", "tilts-backup"), CONNECT_TIMEOUT_SECONDS)
    except (TimeoutError, OSError, nats.errors.Error):
        raise BackupFailed(f"no NATS server answers at {settings.nats_url}") from None


async def _dump(url: str, schemas: tuple[str, ...], root: Path, name: str, progress: Progress,
                what: str) -> tuple[DatabasePart, StoredFile]:
    progress.stage(what)
    present = await existing_schemas(url, schemas)
    if not present:
        raise BackupFailed(f"none of the schemas {', '.join(schemas)} exists in the database: "
                           "has the system ever run against it?")
    await asyncio.to_thread(dump_schemas, url, present, root / name)
    return DatabasePart(file=name, schemas=present), record_file(root, name)


async def _snapshot(nc: NATS, stream: str, root: Path, progress: Progress) -> tuple[StreamPart, StoredFile]:
    progress.stage(f"stream {stream}", None)
    name = stream_file(stream)
    snapshot = await snapshot_stream(nc, stream, root / name, progress.advance)
    state = snapshot.state
    part = StreamPart(name=stream, file=name, last_sequence=int(state.get("last_seq", 0)),
                      messages=int(state.get("messages", 0)), config=snapshot.config, state=state)
    return part, StoredFile(sha256=snapshot.sha256, bytes=snapshot.bytes)


def _carry_key_files(settings: Settings, root: Path, master_key: bytes | None) -> dict[str, StoredFile]:
    """Copy the data dir's signing keys; the master key only when given (it may come from TILTS_MASTER_KEY)."""
    carried: dict[str, StoredFile] = {}
    for path in signing_key_files(settings):
        name = f"{KEYS_FOLDER}/{path.name}"
        copy_private(path, root / name)
        carried[name] = record_file(root, name)
    if master_key is not None:
        name = f"{KEYS_FOLDER}/{MASTER_KEY_FILE}"
        write_private(root / name, encoded(master_key))
        carried[name] = record_file(root, name)
    return carried


async def _tools(nc: NATS, url: str) -> dict[str, str]:
    server = nc.connected_server_version
    return {"tilts": version("tilts"), "nats-py": version("nats-py"),
            "nats-server": f"{server.major}.{server.minor}.{server.patch}",
            "postgresql": await server_version(url), "pg_dump": await asyncio.to_thread(dump_tool_version)}


async def _checkpoints(nc: NATS, stream: str, root: Path, progress: Progress
                       ) -> tuple[StreamPart | None, dict[str, StoredFile]]:
    try:
        await nc.jetstream().stream_info(stream)
    except NotFoundError:
        progress.note(f"no {stream} stream (the notary has not run): no checkpoints to back up")
        return None, {}
    part, stored = await _snapshot(nc, stream, root, progress)
    return part, {part.file: stored}


async def _write_backup(source: Source, root: Path, nc: NATS, master_key: bytes, with_master_key: bool,
                        progress: Progress) -> Manifest:
    settings, url = source.settings, source.database_url
    files: dict[str, StoredFile] = {}
    database, files[READ_MODELS_FILE] = await _dump(url, source.read_model_schemas, root, READ_MODELS_FILE,
                                                    progress, "read models (pg_dump)")
    checkpoints, stored = await _checkpoints(nc, checkpoint_stream(settings.stream_name), root, progress)
    files.update(stored)
    log, files[stream_file(settings.stream_name)] = await _snapshot(nc, settings.stream_name, root, progress)
    family_keys, files[FAMILY_KEYS_FILE] = await _dump(url, (KEYS_SCHEMA,), root, FAMILY_KEYS_FILE, progress,
                                                       "family keys (pg_dump)")
    progress.stage("key files")
    carried = _carry_key_files(settings, root, master_key if with_master_key else None)
    files.update(carried)
    manifest = Manifest(
        created_at=datetime.now(UTC), stream_name=settings.stream_name, subject_prefix=settings.subject_prefix,
        log=log, checkpoints=checkpoints, database=database, family_keys=family_keys,
        key_files=tuple(sorted(carried)), master_key=MasterKeyPart(id=master_key_id(master_key),
                                                                   included=with_master_key),
        files=files, tools=await _tools(nc, url))
    write_manifest(root, manifest)
    return manifest


async def take_backup(source: Source, target: Path, *, with_master_key: bool = False,
                      progress: Progress | None = None) -> Manifest:
    """Back up the running system's log, checkpoints, database and key files into `target` (new or empty)."""
    settings = source.settings
    if not settings.nats_url or not source.database_url:
        raise BackupFailed(f"the system is not running with data dir {settings.data_dir} (start it with `tilts up`), "
                           "and TILTS_NATS_URL / TILTS_DATABASE_URL are not both set")
    existed = require_empty(target, "a backup goes into a new or empty directory")
    master_key = current_master_key(settings)
    nc = await _open_nats(settings)
    try:
        try:
            await nc.jetstream().stream_info(settings.stream_name)
        except NotFoundError:
            raise BackupFailed(f"there is no stream {settings.stream_name} at {settings.nats_url} "
                               "(TILTS_STREAM_NAME)") from None
        target.mkdir(parents=True, exist_ok=True)
        target.chmod(0o700)  # it holds wrapped family keys and signing keys
        try:
            return await _write_backup(source, target, nc, master_key, with_master_key, progress or Silent())
        except OSError as error:
            clear(target, existed)
            raise BackupFailed(f"could not write the backup into {target}: {error}") from error
        except BaseException:
            clear(target, existed)
            raise
    finally:
        await nc.close()
