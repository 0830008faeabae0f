"""`tilts restore` holds the data dir as `tilts up` does, and names a running `tilts up` it finds there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import shared.backup.restore as restore
from shared.backup.folders import NotEmpty
from shared.backup.restore import RestoreRefused, restore_backup
from shared.config import Settings
from shared.data_dir_lock import LOCK_FILE, DataDirInUse, hold_data_dir


class Stop(RestoreRefused):
    """Raised by the stand-in for the backup check, once the test has seen what it came for."""


def test_a_restore_into_a_dir_a_running_tilts_up_holds_names_it_and_its_pid(tmp_path: Path) -> None:
    (tmp_path / "postgres").mkdir()
    held = hold_data_dir(tmp_path)
    try:
        with pytest.raises(RestoreRefused, match=f"is in use by tilts up \\(pid {os.getpid()}\\)"):
            restore_backup(Settings(data_dir=tmp_path), tmp_path / "no-backup")
    finally:
        held.close()
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["postgres", LOCK_FILE]


def test_a_restore_holds_the_data_dir_while_it_runs_and_leaves_no_trace_when_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "new"
    seen: list[str] = []

    def check_backup(settings: Settings, *_: object) -> None:
        with pytest.raises(DataDirInUse) as in_use:
            hold_data_dir(settings.data_dir)  # what a `tilts up` started now would meet
        seen.append(in_use.value.holder)
        raise Stop("the backup is refused")

    monkeypatch.setattr(restore, "check_backup", check_backup)
    with pytest.raises(Stop):
        restore_backup(Settings(data_dir=data_dir), tmp_path / "backup")
    assert seen == ["tilts restore"]
    assert not data_dir.exists()


def test_a_restore_refuses_a_dir_that_is_not_empty_and_leaves_it_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("somebody's data")
    with pytest.raises(NotEmpty, match="is not empty"):
        restore_backup(Settings(data_dir=tmp_path), tmp_path / "backup")
    assert [entry.name for entry in tmp_path.iterdir()] == ["notes.txt"]


def test_a_lock_file_left_by_an_earlier_tilts_up_does_not_make_a_dir_non_empty(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hold_data_dir(tmp_path).close()  # a `tilts up` that refused (ports in use) leaves its lock file
    checked: list[Path] = []

    def check_backup(settings: Settings, *_: object) -> None:
        checked.append(settings.data_dir)
        raise Stop("the backup is refused")

    monkeypatch.setattr(restore, "check_backup", check_backup)
    with pytest.raises(Stop):
        restore_backup(Settings(data_dir=tmp_path), tmp_path / "backup")
    assert checked == [tmp_path.absolute()]
    assert [entry.name for entry in tmp_path.iterdir()] == [LOCK_FILE]
