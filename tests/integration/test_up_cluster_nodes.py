"""`tilts up --cluster` names each NATS node by its folder, with its pid, when it starts and starts again."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import psutil
from rich.console import Console

from shared.config import Settings
from tilts.supervise import PAUSE_SECONDS, Supervisor
from tilts.up import _start_nats_cluster


def _pid_of(config: Path) -> int:
    """The nats-server running `-c config`: how docs/operations.md says to find a node's pid."""
    found = [p.pid for p in psutil.process_iter(["cmdline"]) if str(config) in (p.info["cmdline"] or [])]
    assert len(found) == 1, found
    return found[0]


def test_cluster_nodes_are_named_by_their_folder_with_their_pid_also_after_a_restart(tmp_path: Path) -> None:
    console = Console(record=True, width=400)
    supervisor = Supervisor(console)
    with ExitStack() as stack:
        _start_nats_cluster(Settings(data_dir=tmp_path), 3, stack, console, supervisor)
        node = tmp_path / "nats-cluster" / "n0"
        first = _pid_of(node / "nats.conf")
        assert "NATS n0 nats://127.0.0.1:" in console.export_text(clear=False)
        assert f"(pid {first}, data in {node})" in console.export_text(clear=False)

        psutil.Process(first).kill()  # as an operator's `kill -9` would
        deadline = time.monotonic() + 10
        while "NATS n0 started again" not in console.export_text(clear=False):
            assert time.monotonic() < deadline, console.export_text()
            supervisor.check()
            time.sleep(PAUSE_SECONDS / 4)
        text = console.export_text()
        again = _pid_of(node / "nats.conf")
        assert "NATS n0 was killed by SIGKILL" in text
        assert f"NATS n0 started again (pid {again})" in text and again != first
        assert "node 1" not in text
