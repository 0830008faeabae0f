"""One `tilts up` per data dir: a second one stops before it starts anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.console import Console

from shared.config import Settings
from shared.data_dir_lock import LOCK_FILE, DataDirInUse, hold_data_dir
from tilts.up import run_system


def test_a_held_data_dir_refuses_a_second_holder_and_is_free_once_released(tmp_path: Path) -> None:
    held = hold_data_dir(tmp_path)
    with pytest.raises(DataDirInUse, match=f"pid {os.getpid()}"):
        hold_data_dir(tmp_path)
    held.close()
    hold_data_dir(tmp_path).close()


def test_tilts_up_on_a_data_dir_in_use_refuses_without_starting_servers(tmp_path: Path) -> None:
    held = hold_data_dir(tmp_path)
    try:
        console = Console(record=True, width=200)
        assert run_system(Settings(data_dir=tmp_path), demo=False, console=console) == 1
        assert "is in use by tilts up" in console.export_text()
        assert not (tmp_path / "nats").exists() and not (tmp_path / "postgres").exists()
    finally:
        held.close()


def test_tilts_up_names_a_taken_port_and_its_setting_before_starting_anything(tmp_path: Path) -> None:
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        console = Console(record=True, width=300)
        assert run_system(Settings(data_dir=tmp_path, reporting_port=port), demo=False, console=console) == 1
        assert f"reporting: 127.0.0.1:{port} (TILTS_REPORTING_PORT)" in console.export_text()
        assert not (tmp_path / "nats").exists() and not (tmp_path / "postgres").exists()
    hold_data_dir(tmp_path).close()  # the data dir was let go


def test_the_lock_names_its_holder_and_an_older_lock_file_reads_as_tilts_up(tmp_path: Path) -> None:
    held = hold_data_dir(tmp_path, holder="tilts restore")
    try:
        with pytest.raises(DataDirInUse, match=f"in use by tilts restore \\(pid {os.getpid()}\\)"):
            hold_data_dir(tmp_path)
        (tmp_path / LOCK_FILE).write_text("4242")  # written by a tilts up from before holders were named
        with pytest.raises(DataDirInUse, match="in use by tilts up \\(pid 4242\\)"):
            hold_data_dir(tmp_path)
    finally:
        held.close()


def test_tilts_up_during_a_restore_refuses_naming_the_restore(tmp_path: Path) -> None:
    held = hold_data_dir(tmp_path, holder="tilts restore")
    try:
        console = Console(record=True, width=300)
        assert run_system(Settings(data_dir=tmp_path), demo=False, console=console) == 1
        assert f"is in use by tilts restore (pid {os.getpid()})" in console.export_text()
        assert not (tmp_path / "nats").exists()
    finally:
        held.close()
