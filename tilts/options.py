"""Options and settings the `tilts` subcommands share."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from shared.config import Settings

DataDir = Annotated[Path | None, typer.Option("--data-dir", envvar="TILTS_DATA_DIR", show_default=False,
                                              help="Where `tilts up` keeps data and keys (default: ./.tilts)")]


def settings_for(data_dir: Path | None) -> Settings:
    """Settings for this data dir (or the default one)."""
    from shared.config import Settings

    return Settings(data_dir=data_dir) if data_dir else Settings()


def running_settings(data_dir: Path | None) -> Settings:
    """Settings pointing at the servers a running `tilts up` with this data dir uses (TILTS_*_URL win)."""
    from shared.runtime_file import with_runtime_urls

    return with_runtime_urls(settings_for(data_dir))
