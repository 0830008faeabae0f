"""A Ctrl-C or SIGTERM while `tilts up` waits for the services or loads the demo is obeyed at once."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

import tilts.demo
from shared.config import Settings
from shared.embedded import free_port
from tilts.stopping import StopFlag, until_stopped
from tilts.up import _load_demo, _wait_ready


def test_work_that_is_not_stopped_gives_its_result() -> None:
    async def work() -> int:
        await asyncio.sleep(0.05)
        return 7

    assert asyncio.run(until_stopped(work(), StopFlag())) == 7


def test_work_is_cancelled_soon_after_a_stop_is_asked_for() -> None:
    stop, cancelled = StopFlag(), []

    async def endless() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def main() -> object:
        asyncio.get_running_loop().call_later(0.2, stop.ask)
        return await until_stopped(endless(), stop)

    started = time.monotonic()
    assert asyncio.run(main()) is None
    assert cancelled == [True] and time.monotonic() - started < 1.0


class AliveChild:
    """A service process that runs but never answers."""

    def poll(self) -> None:
        return None


def test_waiting_for_a_service_ends_at_once_when_a_stop_is_asked_for() -> None:
    stop = StopFlag()
    stop.ask()
    started = time.monotonic()
    ready = _wait_ready(f"http://127.0.0.1:{free_port()}", AliveChild(), time.monotonic() + 60, stop)  # type: ignore[arg-type]
    assert not ready and time.monotonic() - started < 0.5


def test_waiting_for_a_service_that_never_answers_ends_at_the_deadline() -> None:
    started = time.monotonic()
    ready = _wait_ready(f"http://127.0.0.1:{free_port()}", AliveChild(), time.monotonic() + 0.5, StopFlag())  # type: ignore[arg-type]
    assert not ready and 0.5 <= time.monotonic() - started < 2.5


def test_a_stop_during_the_demo_says_how_far_it_got_and_that_the_next_demo_finishes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stop = StopFlag()

    async def load_season(season: object, url: str, mint: object, *,
                          progress: Callable[[int, int], None]) -> None:
        progress(500, 3766)
        stop.ask()  # Ctrl-C while the next batch is on its way
        await asyncio.sleep(60)

    monkeypatch.setattr(tilts.demo, "load_season", load_season)
    console = Console(record=True, width=300)
    started = time.monotonic()
    _load_demo(Settings(data_dir=tmp_path), console, stop)
    text = console.export_text()
    assert time.monotonic() - started < 5
    assert "the demo is not loaded fully (500 of" in text
    assert "the next `tilts up --demo` finishes it" in text and "Demo loaded" not in text


def test_the_stop_flag_is_what_sigterm_sets() -> None:
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    stop = StopFlag()
    stop.install()
    try:
        assert not stop
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 2
        while not stop and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stop
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
