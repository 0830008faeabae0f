"""Secrets kept as files in the data dir, created once and shared by every process."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def load_or_create(path: Path, generate: Callable[[], bytes]) -> bytes:
    """Return the file's bytes, creating it (mode 0600) with `generate()` if it is missing.

    Several processes may start at once (`tilts up` runs three services), so creation uses
    O_EXCL on a temporary name and a hard link: exactly one generated value ever wins.
    """
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(generate())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_bytes()
