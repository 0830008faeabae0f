"""A PostgreSQL server of its own in a fresh temporary directory, stopped and removed afterwards."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.embedded import EmbeddedPostgres


@contextmanager
def temporary_postgres(prefix: str) -> Iterator[EmbeddedPostgres]:
    """Started under /tmp, not under pytest's tmp_path: as root, PostgreSQL runs as an unprivileged
    user who must be able to traverse every parent directory, and each new pytest session resets
    /tmp/pytest-of-<user> to 0700, which would race with concurrent runs."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        with EmbeddedPostgres(base / "data") as server:
            yield server
    finally:
        shutil.rmtree(base, ignore_errors=True)
