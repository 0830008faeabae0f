"""Where a running `tilts up` says which servers it started: `<data dir>/runtime.json`.

`tilts up` starts embedded NATS and PostgreSQL on free ports, so other `tilts` commands run
against the same data dir (`tilts audit`, `tilts rebuild`) cannot guess their URLs. While it
runs, `tilts up` writes them here, and deletes the file on a clean stop:

    {"pid": 4242, "urls": {"TILTS_NATS_URL": "nats://127.0.0.1:41787",
                           "TILTS_DATABASE_URL": "postgresql://..."}}

A command uses them only for settings the environment left unset (`with_runtime_urls`). A file
left behind by a `tilts up` that was killed is ignored: its pid no longer runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from shared.config import Settings

RUNTIME_FILE = "runtime.json"

# Runtime file key -> Settings field it fills.
_FIELDS = {"TILTS_NATS_URL": "nats_url", "TILTS_DATABASE_URL": "database_url"}


def runtime_path(data_dir: Path) -> Path:
    """The runtime file of a data dir."""
    return data_dir / RUNTIME_FILE


def write_runtime_urls(data_dir: Path, urls: Mapping[str, str]) -> Path:
    """Record the server URLs this process runs with (keys like `TILTS_NATS_URL`)."""
    path = runtime_path(data_dir)
    temporary = path.with_suffix(".tmp")
    # Owner-only: a database URL may carry a password.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump({"pid": os.getpid(), "urls": dict(urls)}, file, indent=2)
    os.replace(temporary, path)  # readers never see a half-written file
    return path


def read_runtime_urls(data_dir: Path) -> dict[str, str] | None:
    """The URLs a running `tilts up` recorded in this data dir; None if none is running."""
    try:
        recorded = json.loads(runtime_path(data_dir).read_text(encoding="utf-8"))
        pid, urls = recorded["pid"], recorded["urls"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(urls, dict) or not _is_running(pid):
        return None
    return {str(key): str(value) for key, value in urls.items()}


def remove_runtime_urls(data_dir: Path) -> None:
    """Delete the runtime file (on a clean stop)."""
    runtime_path(data_dir).unlink(missing_ok=True)


def with_runtime_urls(settings: Settings) -> Settings:
    """Settings with NATS/PostgreSQL URLs from a running `tilts up` where the environment set none."""
    urls = read_runtime_urls(settings.data_dir) or {}
    update = {field: urls[key] for key, field in _FIELDS.items()
              if key in urls and not getattr(settings, field)}
    return settings.model_copy(update=update) if update else settings


def _is_running(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if os.name != "posix":
        return True  # on Windows os.kill(pid, 0) would send Ctrl-C, so trust the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    return True
