"""The runtime file: how `tilts up` tells other commands which servers it started."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from shared.config import Settings
from shared.runtime_file import (RUNTIME_FILE, read_runtime_urls, remove_runtime_urls, with_runtime_urls,
                                 write_runtime_urls)

URLS = {"TILTS_NATS_URL": "nats://127.0.0.1:4999", "TILTS_DATABASE_URL": "postgresql://127.0.0.1:5999/tilts"}


def test_urls_written_by_a_running_process_are_read_back(tmp_path: Path) -> None:
    path = write_runtime_urls(tmp_path, URLS)

    assert path == tmp_path / RUNTIME_FILE
    assert read_runtime_urls(tmp_path) == URLS
    assert path.stat().st_mode & 0o077 == 0


def test_after_removal_there_is_nothing_to_read(tmp_path: Path) -> None:
    write_runtime_urls(tmp_path, URLS)
    remove_runtime_urls(tmp_path)
    remove_runtime_urls(tmp_path)  # removing twice is fine

    assert read_runtime_urls(tmp_path) is None


def test_a_file_left_by_a_process_that_is_gone_is_ignored(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    (tmp_path / RUNTIME_FILE).write_text(f'{{"pid": {gone.pid}, "urls": {{"TILTS_NATS_URL": "nats://x"}}}}')

    assert read_runtime_urls(tmp_path) is None


def test_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / RUNTIME_FILE).write_text('{"pid": ')
    assert read_runtime_urls(tmp_path) is None
    (tmp_path / RUNTIME_FILE).write_text(f'{{"pid": {os.getpid()}, "urls": ["nats://x"]}}')
    assert read_runtime_urls(tmp_path) is None


def test_settings_take_urls_from_the_file_only_where_the_environment_set_none(tmp_path: Path) -> None:
    write_runtime_urls(tmp_path, URLS)

    filled = with_runtime_urls(Settings(data_dir=tmp_path, nats_url=None, database_url=None))
    kept = with_runtime_urls(Settings(data_dir=tmp_path, nats_url="nats://elsewhere:4222", database_url=None))

    assert (filled.nats_url, filled.database_url) == (URLS["TILTS_NATS_URL"], URLS["TILTS_DATABASE_URL"])
    assert (kept.nats_url, kept.database_url) == ("nats://elsewhere:4222", URLS["TILTS_DATABASE_URL"])


def test_settings_are_unchanged_without_a_running_system(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, nats_url=None, database_url=None)
    assert with_runtime_urls(settings) is settings
