"""Keeping `tilts up`'s processes running: a server or service that dies is started again.

The embedded NATS and PostgreSQL keep their data and ports, and the services reconnect by
themselves, so starting a dead one again is all a restart needs. A process that keeps dying
(`MAX_RESTARTS` within `WINDOW_SECONDS`) is a problem a restart does not solve — a broken
setting, a full disk — so the supervisor gives up and `tilts up` stops everything, saying why.
"""

from __future__ import annotations

import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from shared.embedded import process

MAX_RESTARTS = 5
WINDOW_SECONDS = 120.0
PAUSE_SECONDS = 1.0  # between a death and the restart, and between restarts of one process


@dataclass
class Watched:
    """One process: whether it runs, how to start it again, where its log is."""

    name: str
    alive: Callable[[], bool]
    restart: Callable[[], None]
    log_path: Path
    exit_code: Callable[[], int | None] = lambda: None
    pid: Callable[[], int | None] = lambda: None  # told on a restart: the operator's `kill` needs the new one
    restarts: deque[float] = field(default_factory=deque)
    died_at: float | None = None


class GaveUp(RuntimeError):
    """A process could not be kept running."""


def describe_exit(code: int | None) -> str:
    if code is None:
        return "exited"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class Supervisor:
    """Checks its processes on every `check()`; restarts the dead ones, or raises GaveUp."""

    def __init__(self, console: Console, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._console, self._clock = console, clock
        self._watched: list[Watched] = []

    def watch(self, watched: Watched) -> None:
        self._watched.append(watched)

    def check(self) -> None:
        for watched in self._watched:
            if not watched.alive():
                self._revive(watched)

    def _revive(self, watched: Watched) -> None:
        now = self._clock()
        if watched.died_at is None:
            watched.died_at = now
            self._console.print(f"[yellow]{watched.name} {describe_exit(watched.exit_code())}[/]; starting it "
                                f"again (its log: {watched.log_path}). Last lines:\n"
                                + process.log_tail(watched.log_path, 10))
        while watched.restarts and now - watched.restarts[0] > WINDOW_SECONDS:
            watched.restarts.popleft()
        if len(watched.restarts) >= MAX_RESTARTS:
            raise GaveUp(f"{watched.name} died {MAX_RESTARTS + 1} times within {WINDOW_SECONDS:g} s; "
                         f"see {watched.log_path}")
        last = watched.restarts[-1] if watched.restarts else float("-inf")
        if now - max(watched.died_at, last) < PAUSE_SECONDS:
            return
        watched.restarts.append(now)
        try:
            watched.restart()
        except Exception as error:  # tried again on a later check, up to the limit
            self._console.print(f"[red]{watched.name} did not start again:[/] {error}")
            return
        watched.died_at = None
        pid = watched.pid()
        self._console.print(f"[green]{watched.name} started again[/]" + (f" (pid {pid})" if pid else ""))
