"""A service still waiting for its servers at startup stops when told to (SIGTERM, Ctrl-C)."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from shared.runtime import StoppedWhileStarting, until_told_to_stop


async def test_a_stop_signal_ends_the_wait_and_still_reaches_the_handler_in_place() -> None:
    heard: list[int] = []

    def handler(number: int, frame: object) -> None:
        heard.append(number)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, os.kill, os.getpid(), signal.SIGTERM)
        with pytest.raises(StoppedWhileStarting):
            await asyncio.wait_for(until_told_to_stop(asyncio.Event().wait()), 5)  # a server that never answers
        assert heard == [signal.SIGTERM]  # uvicorn's own handler still learns it should exit
        assert signal.getsignal(signal.SIGTERM) is handler  # and is in place again afterwards
    finally:
        signal.signal(signal.SIGTERM, previous)


async def test_work_done_in_time_is_answered_and_the_handlers_are_put_back() -> None:
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}

    async def connect() -> str:
        await asyncio.sleep(0)
        return "connected"

    assert await until_told_to_stop(connect()) == "connected"
    assert {number: signal.getsignal(number) for number in before} == before


async def test_a_cancelled_startup_is_a_cancellation_not_a_stop() -> None:
    waiting = asyncio.ensure_future(until_told_to_stop(asyncio.Event().wait()))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
