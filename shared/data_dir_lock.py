"""One `tilts up` or `tilts restore` per data dir.

A second `tilts up` on a data dir in use started a second nats-server on the live JetStream
store (it restored the stream and its consumers, and rewrote the running server's config)
before PostgreSQL's own lock stopped it; one started during a `tilts restore` did the same to
the store being restored. Both hold an exclusive lock on `<data dir>/up.lock` for as long as
they run; the operating system releases it when the process ends, however it ends, so a killed
one never leaves a stale lock behind. The file says who holds it ("<pid> <command>"), so the
one refused can name it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_FILE = "up.lock"


class DataDirInUse(RuntimeError):
    """Another process holds the data dir."""

    def __init__(self, data_dir: Path, pid: str, holder: str) -> None:
        super().__init__(f"{data_dir} is in use by {holder} (pid {pid}): let it end or stop it first, "
                         "or give this one its own --data-dir")
        self.data_dir, self.pid, self.holder = data_dir, pid, holder


def _holder(text: str) -> tuple[str, str]:
    """(pid, command) from the lock file; a file from before the command was written names only a pid."""
    pid, _, command = text.strip().partition(" ")
    return pid or "unknown", command or "tilts up"


def hold_data_dir(data_dir: Path, holder: str = "tilts up") -> IO[str]:
    """Lock `data_dir` for this process (keep the returned file open); DataDirInUse if taken."""
    handle = open(data_dir / LOCK_FILE, "a+", encoding="utf-8")  # held open until the process ends
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid, command = _holder(handle.read())
        handle.close()
        raise DataDirInUse(data_dir, pid, command) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()} {holder}")
    handle.flush()
    return handle
