"""The manifest of a backup: what each file is, its SHA-256, and the log's position when it was taken.

`manifest.json` is written last, so a directory without one is an interrupted backup. A restore
checks every file against it before touching anything: a damaged or altered file is refused by
name. The digests guard against corruption and mix-ups, not against someone who can rewrite the
manifest too; the log's own hash chains and the notary's checkpoints (checked after a restore)
are what tell a rewritten log.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from .errors import BackupError

FORMAT = "tilts-backup/1"
MANIFEST = "manifest.json"
READ_BLOCK = 1024 * 1024


class BackupInvalid(BackupError):
    """The directory is not a complete, intact Tilts backup."""


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StoredFile(Frozen):
    """One file of the backup, as it was written."""

    sha256: str
    bytes: int


class StreamPart(Frozen):
    """A JetStream snapshot: the file, and the stream's configuration and state as the server gave them."""

    name: str
    file: str
    last_sequence: int
    messages: int
    config: dict[str, Any]
    state: dict[str, Any]


class DatabasePart(Frozen):
    """A pg_dump (custom format) of some schemas."""

    file: str
    schemas: tuple[str, ...]


class MasterKeyPart(Frozen):
    """Which master key wraps the family keys in this backup, and whether the backup holds it."""

    id: str
    included: bool


class Manifest(Frozen):
    """Everything a restore needs to know about a backup."""

    format: Literal["tilts-backup/1"] = FORMAT
    created_at: datetime
    stream_name: str
    subject_prefix: str
    log: StreamPart
    checkpoints: StreamPart | None
    database: DatabasePart
    family_keys: DatabasePart
    key_files: tuple[str, ...]
    master_key: MasterKeyPart
    files: dict[str, StoredFile]
    tools: dict[str, str]

    @field_validator("files")
    @classmethod
    def _paths_stay_inside(cls, files: dict[str, StoredFile]) -> dict[str, StoredFile]:
        for name in files:
            path = PurePosixPath(name)
            if path.is_absolute() or ".." in path.parts or not path.parts:
                raise ValueError(f"{name!r} is not a path inside the backup")
        return files

    @model_validator(mode="after")
    def _every_part_is_listed(self) -> Manifest:
        named = [self.log.file, self.database.file, self.family_keys.file, *self.key_files]
        if self.checkpoints is not None:
            named.append(self.checkpoints.file)
        missing = [name for name in named if name not in self.files]
        if missing:
            raise ValueError(f"files without a digest: {', '.join(missing)}")
        return self

    @property
    def streams(self) -> tuple[StreamPart, ...]:
        return (self.log,) if self.checkpoints is None else (self.log, self.checkpoints)


def record_file(root: Path, name: str) -> StoredFile:
    """The digest entry of a file just written under the backup root."""
    path = root / name
    return StoredFile(sha256=sha256_file(path), bytes=path.stat().st_size)


def write_manifest(root: Path, manifest: Manifest) -> Path:
    """Write the manifest atomically (a reader never sees half of it), owner-only."""
    path = root / MANIFEST
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(manifest.model_dump_json(indent=2) + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    return path


def read_manifest(root: Path) -> Manifest:
    """The backup's manifest; BackupInvalid if there is none or it cannot be read."""
    path = root / MANIFEST
    if not root.is_dir():
        raise BackupInvalid(f"{root} is not a directory")
    if not path.is_file():
        raise BackupInvalid(f"{root} has no {MANIFEST}: it is not a Tilts backup, or the backup did not finish")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BackupInvalid(f"{path} is not readable JSON: {error}") from None
    if isinstance(raw, dict) and raw.get("format") != FORMAT:
        raise BackupInvalid(f"{path} is of format {raw.get('format')!r}; this tilts reads {FORMAT!r}")
    try:
        return Manifest.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "manifest"
        raise BackupInvalid(f"{path} is not a valid manifest: {where}: {first['msg']}") from None


def check_files(root: Path, manifest: Manifest) -> None:
    """Every file the manifest lists is there with its size and SHA-256; BackupInvalid naming the first that is not."""
    for name, expected in manifest.files.items():
        path = root / name
        if not path.is_file():
            raise BackupInvalid(f"{name} is missing from the backup")
        size = path.stat().st_size
        if size != expected.bytes:
            raise BackupInvalid(f"{name} has {size:,} bytes, the manifest says {expected.bytes:,}: "
                                "the file was truncated, altered or damaged")
        found = sha256_file(path)
        if found != expected.sha256:
            raise BackupInvalid(f"{name}: SHA-256 {found} differs from the manifest's {expected.sha256}: "
                                "the file was altered or damaged")
