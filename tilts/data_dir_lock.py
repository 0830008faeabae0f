"""One `tilts up` per data dir.

A second `tilts up` on a data dir in use started a second nats-server on the live JetStream
store (it restored the stream and its consumers, and rewrote the running server's config)
before PostgreSQL's own lock stopped it. `tilts up` now holds an exclusive lock on
`<data dir>/up.lock` for as long as it runs; the operating system releases it when the process
ends, however it ends, so a killed `tilts up` never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_FILE = "up.lock"


class DataDirInUse(RuntimeError):
    """Another process holds the data dir."""


def hold_data_dir(data_dir: Path) -> IO[str]:
    """Lock `data_dir` for this process (keep the returned file open); DataDirInUse if taken."""
    handle = open(data_dir / LOCK_FILE, "a+", encoding="utf-8")  # held open until the process ends
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise DataDirInUse(f"{data_dir} is in use by tilts up (pid {holder}); stop it first, "
                           "or give this one its own --data-dir") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle
