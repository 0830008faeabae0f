"""Ctrl-C and SIGTERM while `tilts up` is still starting: a flag its long waits look at.

The handler only sets a plain flag: one that takes a lock (threading.Event.set) can deadlock
when the signal arrives while the main thread holds that lock inside Event.wait. A flag is only
as good as the waits that look at it, though: the services' readiness (up to 90 s) and the demo
load (an asyncio.run of a minute or more) used to ignore it, so a Ctrl-C waited for them to end.
Each now looks at it between steps.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable
from contextlib import suppress
from types import FrameType
from typing import TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.1


class StopFlag:
    """Set once SIGINT or SIGTERM arrives (after `install`); true from then on."""

    def __init__(self) -> None:
        self._signals: list[int] = []

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self.ask)

    def ask(self, signum: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        self._signals.append(signum)

    def __bool__(self) -> bool:
        return bool(self._signals)


async def until_stopped(work: Awaitable[T], stop: StopFlag, poll: float = POLL_SECONDS) -> T | None:
    """`work`'s result; None, with `work` cancelled, as soon as a stop is asked for."""
    # The signal handler runs between bytecodes but does not wake the event loop: hence a poll.
    task = asyncio.ensure_future(work)
    while not task.done():
        if stop:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            return None
        await asyncio.wait({task}, timeout=poll)
    return task.result()
