"""Ctrl-C while `tilts up --demo` loads the demo stops everything at once, not when the demo is done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from shared.embedded import free_port, process
from tilts.services import SERVICES


def _wait_for_line(log: Path, text: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in (log.read_text() if log.exists() else ""):
        assert proc.poll() is None, process.log_tail(log, 60)
        assert time.monotonic() < deadline, process.log_tail(log, 60)
        time.sleep(0.05)


def test_ctrl_c_during_the_demo_stops_everything_promptly_and_says_a_later_demo_finishes_it(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)  # PostgreSQL runs as an unprivileged user who must reach its data dir
    data_dir, log = tmp_path / "data", tmp_path / "up.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("TILTS_")}
    env.update({f"TILTS_{name.upper()}_PORT": str(free_port()) for name in SERVICES})
    env.update(TILTS_DATA_DIR=str(data_dir), TILTS_LOG_FORMAT="json")
    proc = process.spawn([sys.executable, "-m", "tilts", "up", "--demo"], log_path=log, env=env,
                         death_signal=signal.SIGTERM)
    try:
        _wait_for_line(log, "Loading the demo season", proc, timeout=120)
        proc.send_signal(signal.SIGINT)
        asked = time.monotonic()
        code = proc.wait(timeout=30)
        took = time.monotonic() - asked
    finally:
        if proc.poll() is None:
            process.kill(proc)
    output = " ".join(log.read_text().split())
    assert code == 0, output
    assert "the demo is not loaded fully" in output and "the next `tilts up --demo` finishes it" in output
    assert "Demo loaded" not in output and "Stopped." in output
    assert took < 20, f"stopping took {took:.1f} s"
    assert not [p for p in psutil.process_iter(["cmdline"])
                if str(data_dir) in " ".join(p.info["cmdline"] or [])], "a process outlived tilts up"
