"""`tilts serve <name>` as a real child process on a free loopback port: started, SIGKILLed, restarted.

Used by the fault tests (a kill -9 must be a real one) and by the benchmarks (a service measured
as it runs in production).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from shared.embedded import free_port, process


class ServiceExited(RuntimeError):
    """The service process ended while it was expected to run."""


@dataclass
class ServiceProcess:
    """One service process; the port stays the same across restarts, so clients keep their URL."""

    name: str
    env: Mapping[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if process.is_alive(self.proc) else None

    def launch(self) -> None:
        """Start the process without waiting for it to be ready."""
        env = {**self.env, f"TILTS_{self.name.upper()}_PORT": str(self.port)}
        self.proc = process.spawn([sys.executable, "-m", "tilts", "serve", self.name], log_path=self.log_path,
                                  env=env, death_signal=signal.SIGTERM)

    def is_ready(self) -> bool:
        """Whether /readyz answers 200; ServiceExited if the process is gone."""
        if not process.is_alive(self.proc):
            code = self.proc.returncode if self.proc else None
            raise ServiceExited(f"{self.name} exited ({code}):\n{process.log_tail(self.log_path, 40)}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self, timeout: float = 60) -> None:
        """Start and wait (blocking) until ready."""
        self.launch()
        process.wait_until(self.is_ready, timeout, 0.2, what=f"{self.name} at {self.url} to be ready")

    async def wait_ready(self, timeout: float = 60) -> float:
        """Wait, without blocking the event loop, until ready; the seconds it took."""
        started = time.monotonic()
        while not await asyncio.to_thread(self.is_ready):
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{self.name} not ready in {timeout} s:\n{process.log_tail(self.log_path, 40)}")
            await asyncio.sleep(0.1)
        return time.monotonic() - started

    def kill(self) -> None:
        """SIGKILL the process (and anything it started) now: no shutdown code runs."""
        if self.proc is not None:
            process.kill(self.proc)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds; idempotent."""
        if self.proc is not None:
            process.stop(self.proc, signal.SIGTERM, timeout)

    def rss_mb(self) -> float:
        """Resident memory of the process, in MB."""
        assert self.proc is not None
        return psutil.Process(self.proc.pid).memory_info().rss / 1e6
