"""End-to-end: the whole system started by `tilts up`, driven over HTTP as a client would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from shared.embedded import free_port, process

from tilts.services import SERVICES


@dataclass
class System:
    """A running `tilts up` and how to reach it."""

    data_dir: Path
    env: dict[str, str]
    urls: dict[str, str]
    proc: subprocess.Popen | None = None

    def start(self, *args: str, timeout: float = 120) -> None:
        log = self.data_dir.parent / "up.log"
        self.proc = process.spawn([sys.executable, "-m", "tilts", "up", *args], log_path=log, env=self.env,
                                  death_signal=signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for url in self.urls.values():
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"tilts up exited:\n{process.log_tail(log, 60)}")
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(process.log_tail(log, 60))
                time.sleep(0.2)
        if "--demo" in args:  # the demo is loaded after the services are ready
            while "Demo loaded" not in log.read_text() and "demo failed" not in log.read_text():
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise TimeoutError(process.log_tail(log, 60))
                time.sleep(0.5)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        self.proc = None
        return code

    def token(self, role: str, subject: str, *extra: str) -> str:
        return subprocess.run([sys.executable, "-m", "tilts", "token", "create", "--role", role, "--subject", subject,
                               *extra], env=self.env, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """`tilts up` in its own data dir with free ports; stopped at the end of the session."""
    base = tmp_path_factory.mktemp("system")
    os.chmod(base, 0o755)  # PostgreSQL runs as an unprivileged user who must reach its data dir
    ports = {name: free_port() for name in SERVICES}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILTS_")}
    env.update({"TILTS_DATA_DIR": str(base / "data"), "TILTS_LOG_FORMAT": "json"})
    env.update({f"TILTS_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    system = System(base / "data", env, {name: f"http://127.0.0.1:{port}" for name, port in ports.items()})
    system.start()
    try:
        yield system
    finally:
        if system.proc is not None:
            system.stop()
