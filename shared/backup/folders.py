"""Backups and restores write only into a directory that was new or empty, and remove what they wrote if they fail."""

from __future__ import annotations

import shutil
from pathlib import Path

from .errors import BackupError


class NotEmpty(BackupError):
    """The target directory already holds something."""


def require_empty(path: Path, purpose: str, ignore: frozenset[str] = frozenset()) -> bool:
    """Refuse a path that is a file or a directory with anything (but `ignore`d names) in it; whether it exists."""
    if not path.exists():
        return False
    if not path.is_dir():
        raise NotEmpty(f"{path} is not a directory")
    if any(entry.name not in ignore for entry in path.iterdir()):
        raise NotEmpty(f"{path} is not empty: {purpose}")
    return True


def clear(path: Path, existed: bool, keep: frozenset[str] = frozenset()) -> None:
    """Remove everything a failed run wrote under `path`, and `path` itself if the run created it.

    `keep`: names left in a `path` that existed (a lock the run still holds there).
    """
    if not path.is_dir():
        return
    if not existed:
        shutil.rmtree(path)
        return
    for entry in path.iterdir():
        if entry.name in keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
