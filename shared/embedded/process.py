"""Child processes that live in their own process group and die with their parent."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
# Resolved in the parent at import time: the forked child must not load libraries or take
# import locks before exec (preexec_fn runs in a copy of a possibly multi-threaded process).
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def _death_signal_preexec(death_signal: int, parent_pid: int) -> Callable[[], None]:
    def preexec() -> None:
        # CPython's _posixsubprocess switches uid/gid (Popen user=/group=) *before* it calls
        # preexec_fn, which matters: the kernel clears the parent-death signal whenever the
        # credentials change, so it has to be set here, after the switch.
        if _prctl is not None and _prctl(_PR_SET_PDEATHSIG, death_signal, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent_pid:
            os._exit(1)  # the parent died before prctl took effect: nobody will stop us
    return preexec


def spawn(
    args: Sequence[str | os.PathLike[str]],
    *,
    log_path: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    user: int | None = None,
    group: int | None = None,
    death_signal: int = signal.SIGKILL,
) -> subprocess.Popen[bytes]:
    """Start a child in its own process group, appending its output to `log_path`."""
    # The parent-death signal fires when the *thread* that forked the child exits, so call
    # this from a long-lived thread (the main thread), not from a short-lived worker.
    log_path.parent.mkdir(parents=True, exist_ok=True)
    ids: dict[str, object] = {}
    if user is not None:
        ids = {"user": user, "group": group, "extra_groups": []}  # drop root's extra groups
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(
            [os.fspath(a) for a in args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            process_group=0,
            preexec_fn=_death_signal_preexec(int(death_signal), os.getpid()),
            **ids,  # type: ignore[arg-type]
        )
    log.info("started %s (pid %d), log %s", Path(os.fspath(args[0])).name, proc.pid, log_path)
    return proc


def is_alive(proc: subprocess.Popen[bytes] | None) -> bool:
    """Whether `proc` has been started and has not exited."""
    return proc is not None and proc.poll() is None


def _proc_table() -> dict[int, tuple[str, int]]:
    """pid -> (state, ppid) for every process, from /proc (Linux only)."""
    table: dict[int, tuple[str, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The fields after the parenthesised command name start with: state ppid.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        table[int(entry.name)] = (state, int(ppid))
    return table


def _descendants(pid: int) -> list[int]:
    table = _proc_table()
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, (_, ppid) in table.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _live(pids: list[int]) -> list[int]:
    table = _proc_table()
    return [pid for pid in pids if pid in table and table[pid][0] not in ("Z", "X")]


def set_child_subreaper(enabled: bool = True) -> None:
    """Adopt orphaned descendants (Linux PR_SET_CHILD_SUBREAPER) so kill() can reap them."""
    # Without this, the children of a SIGKILLed server are reparented to PID 1, which in some
    # containers never reaps them, leaving zombies that hold pids.
    if _prctl is not None and _prctl(_PR_SET_CHILD_SUBREAPER, int(enabled), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def kill(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """SIGKILL the child and all its descendants now, reap it, and wait until they are all gone."""
    doomed: list[int] = []
    if proc.poll() is None:
        # The leader is alive or an unreaped zombie, so its pid cannot have been reused.
        # PostgreSQL puts each backend in its own session, so the process group is not enough:
        # freeze the leader (no new forks, no reaping), list its descendants, kill them all.
        try:
            os.killpg(proc.pid, signal.SIGSTOP)
            if sys.platform == "linux":
                try:
                    wait_until(lambda: _proc_table().get(proc.pid, ("X", 0))[0] in "TtZX", 2, 0.005)
                except TimeoutError:
                    pass  # e.g. stuck in uninterruptible I/O: kill what we can see
                doomed = _descendants(proc.pid)
            for pid in doomed:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    returncode = proc.wait()
    # A restart on the same data must not race with lingering backends (shared memory, locks).
    wait_until(lambda: not _live(doomed), timeout, 0.02, what=f"the processes of pid {proc.pid} to exit")
    for pid in doomed:
        try:
            os.waitpid(pid, os.WNOHANG)  # succeeds only for orphans we adopted as a subreaper
        except ChildProcessError:
            pass
    return returncode


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
    """Send `sig`, wait up to `timeout` seconds, then kill() it; idempotent."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        log.warning("pid %d ignored signal %d for %.0fs; sending SIGKILL", proc.pid, sig, timeout)
        return kill(proc)


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.1, *, what: str = "condition") -> T:
    """Call `predicate` until it returns something truthy (returned) or `timeout` passes (TimeoutError)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


def log_tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file, or an empty string if there is none."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class ServerProcess:
    """What an embedded server's child process shares: stop, kill, restart, and how it ended.

    A subclass sets `_stop_signal` and `_stop_timeout` (how the server shuts down cleanly, and how
    long that may take) and defines `start()`, which puts the spawned child in `_proc`.
    """

    _stop_signal: int = signal.SIGTERM
    _stop_timeout: float = 10
    _proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        raise NotImplementedError

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs."""
        return self._proc.pid if is_alive(self._proc) else None

    def is_running(self) -> bool:
        """Whether the server process is alive."""
        return is_alive(self._proc)

    @property
    def exit_code(self) -> int | None:
        """How the last server process ended (negative: by that signal), None while it runs."""
        return self._proc.returncode if self._proc is not None else None

    def stop(self, timeout: float | None = None) -> None:
        """Shut the server down cleanly, SIGKILL it after `timeout` seconds; idempotent."""
        if self._proc is not None:
            stop(self._proc, self._stop_signal, self._stop_timeout if timeout is None else timeout)

    def kill(self) -> None:
        """SIGKILL the server and what it started, now, like a power cut; start() brings it back."""
        if self._proc is not None:
            kill(self._proc)

    def restart(self) -> None:
        """Stop and start again on the same ports and data."""
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
