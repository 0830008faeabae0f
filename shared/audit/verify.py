"""Verifying the whole log: every aggregate's hash chain recomputed in one pass in sequence order."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext

from shared.bus.eventlog import EventLog
from shared.bus.subjects import Subjects

from .chains import Break, ChainChecker
from .reader import connection_of, last_sequence, read_log
from .replay import UnreadableEvent, read_event


@dataclass(frozen=True)
class VerifyReport:
    """What a verification read and what it found."""

    stream: str
    last_sequence: int           # the log was read up to here (its last sequence when verify started)
    events: int
    aggregates: int
    break_count: int
    breaks: tuple[Break, ...]    # the first `limit` breaks, in log order

    @property
    def intact(self) -> bool:
        return self.break_count == 0

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None


async def verify_chains(js_or_log: JetStreamContext | EventLog, *, stream: str, subject_prefix: str,
                        limit: int = 100, batch: int = 500) -> VerifyReport:
    """Check every event's hash, prevhash, version and subject, from the first to the last sequence."""
    _, js = connection_of(js_or_log)
    last = await last_sequence(js, stream)
    checker = ChainChecker(Subjects(subject_prefix))
    breaks: list[Break] = []
    count = 0
    async for record in read_log(js_or_log, stream=stream, first=1, last=last, batch=batch):
        try:
            found = checker.feed(read_event(record.payload, record.sequence), record.subject)
        except UnreadableEvent as error:
            found = checker.unreadable(record.sequence, record.subject, error.reason)
        if found is not None:
            count += 1
            if len(breaks) < limit:
                breaks.append(found)
    return VerifyReport(stream, last, checker.events, checker.aggregates, count, tuple(breaks))
