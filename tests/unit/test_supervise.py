"""`tilts up` starts a dead process again, and gives up on one that keeps dying."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from tilts.supervise import MAX_RESTARTS, PAUSE_SECONDS, WINDOW_SECONDS, GaveUp, Supervisor, Watched, describe_exit


class Process:
    def __init__(self, *, starts_fail: int = 0) -> None:
        self.running, self.starts, self.starts_fail = True, 0, starts_fail

    def restart(self) -> None:
        self.starts += 1
        if self.starts <= self.starts_fail:
            raise RuntimeError("port still held")
        self.running = True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _supervised(proc: Process, tmp_path: Path) -> tuple[Supervisor, Clock, io.StringIO]:
    out, clock = io.StringIO(), Clock()
    supervisor = Supervisor(Console(file=out, width=200), clock=clock)
    supervisor.watch(Watched("intake", lambda: proc.running, proc.restart, tmp_path / "intake.log", lambda: -9))
    return supervisor, clock, out


def test_a_dead_process_is_started_again_after_a_pause(tmp_path: Path) -> None:
    proc = Process()
    supervisor, clock, out = _supervised(proc, tmp_path)
    supervisor.check()
    assert proc.starts == 0
    proc.running = False
    supervisor.check()
    assert proc.starts == 0 and "intake was killed by SIGKILL" in out.getvalue()
    clock.now += PAUSE_SECONDS
    supervisor.check()
    assert proc.starts == 1 and proc.running and "intake started again" in out.getvalue()


def test_a_failed_start_is_tried_again(tmp_path: Path) -> None:
    proc = Process(starts_fail=2)
    supervisor, clock, out = _supervised(proc, tmp_path)
    proc.running = False
    for _ in range(4):
        supervisor.check()
        clock.now += PAUSE_SECONDS
    assert proc.running and proc.starts == 3 and "did not start again" in out.getvalue()


def test_a_process_that_keeps_dying_is_given_up_on(tmp_path: Path) -> None:
    proc = Process()
    supervisor, clock, _ = _supervised(proc, tmp_path)
    def dies() -> None:
        proc.running = False
        supervisor.check()  # noticed
        clock.now += PAUSE_SECONDS
        supervisor.check()  # started again, or given up on

    for _ in range(MAX_RESTARTS):
        dies()
        assert proc.running
    with pytest.raises(GaveUp):
        dies()
    clock.now += WINDOW_SECONDS  # ...but deaths long apart are each restarted
    supervisor.check()
    assert proc.running


def test_exits_are_described_in_words() -> None:
    assert describe_exit(-9) == "was killed by SIGKILL" and describe_exit(1) == "exited with code 1"


def test_a_process_started_again_is_told_with_its_new_pid(tmp_path: Path) -> None:
    proc, out, clock = Process(), io.StringIO(), Clock()
    supervisor = Supervisor(Console(file=out, width=200), clock=clock)
    supervisor.watch(Watched("NATS n0", lambda: proc.running, proc.restart, tmp_path / "nats.log", lambda: -9,
                             lambda: 4000 + proc.starts))
    proc.running = False
    supervisor.check()
    clock.now += PAUSE_SECONDS
    supervisor.check()
    assert "NATS n0 started again (pid 4001)" in out.getvalue()
