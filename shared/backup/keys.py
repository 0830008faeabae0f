"""The data dir's key files in a backup, and which master key a backup's family keys need.

The family data keys are in PostgreSQL, wrapped by the master key. A backup carries the wrapped
keys and, only when asked to, the master key itself: kept apart, a stolen backup reveals no
family's personal data. The manifest always records the master key's id (a one-way digest), so
a restore can tell the right key from a wrong one before it writes anything. The other key files
(the token signing key, the notary's signing key) are always carried: the restored system must
sign with the same keys for its checkpoints and the tokens in use to stay valid.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from shared.config import Settings
from shared.crypto.master_key import MasterKeyError, decode_master_key, load_master_key

from .errors import BackupError

MASTER_KEY_FILE = "master.key"
KEYS_FOLDER = "keys"


class MasterKeyProblem(BackupError):
    """No usable master key, or not the one the backup's family keys are wrapped with."""


def master_key_id(key: bytes) -> str:
    """A short, one-way identifier of a master key (it cannot be turned back into the key)."""
    return hashlib.sha256(b"tilts master key id\n" + key).hexdigest()[:16]


def current_master_key(settings: Settings) -> bytes:
    """The master key the running system uses (TILTS_MASTER_KEY, else the data dir's file); never creates one."""
    if not settings.master_key and not (settings.keys_dir / MASTER_KEY_FILE).is_file():
        raise MasterKeyProblem(f"there is no {MASTER_KEY_FILE} in {settings.keys_dir} and TILTS_MASTER_KEY is not "
                               "set: run the backup with the data dir (--data-dir) of the system it backs up")
    try:
        return load_master_key(settings)
    except MasterKeyError as error:
        raise MasterKeyProblem(str(error)) from None


def read_master_key(path: Path, where: str) -> bytes:
    """A master key file as the data dir keeps it (base64 of 32 bytes)."""
    try:
        return decode_master_key(path.read_text(encoding="utf-8").strip())
    except (MasterKeyError, OSError, UnicodeDecodeError) as error:
        raise MasterKeyProblem(f"{where} is not a usable master key: {error}") from None


def signing_key_files(settings: Settings) -> list[Path]:
    """The data dir's key files other than the master key (which is carried apart, if at all)."""
    if not settings.keys_dir.is_dir():
        return []
    return sorted(path for path in settings.keys_dir.iterdir()
                  if path.is_file() and not path.name.startswith(".") and path.name != MASTER_KEY_FILE)


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file readable by its owner only, in a folder only the owner can enter."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def copy_private(source: Path, target: Path) -> None:
    """Copy a key file, owner-only."""
    write_private(target, source.read_bytes())


def encoded(key: bytes) -> bytes:
    """A master key as the data dir keeps it."""
    return base64.b64encode(key)
