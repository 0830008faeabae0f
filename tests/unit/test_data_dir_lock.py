"""One `tilts up` per data dir: a second one stops before it starts anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.console import Console

from shared.config import Settings
from tilts.data_dir_lock import DataDirInUse, hold_data_dir
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
