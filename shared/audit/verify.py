"""Verifying the whole log in one pass in sequence order: every aggregate's hash chain, and the
notary's signed checkpoints when a checker for them is given."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext

from shared.bus.eventlog import EventLog
from shared.bus.subjects import Subjects

from .chains import Break, ChainChecker
from .checkpoints import CheckpointChecker, CheckpointReport
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
    checkpoints: CheckpointReport | None = None  # None: the checkpoints were not checked

    @property
    def intact(self) -> bool:
        return self.break_count == 0 and (self.checkpoints is None or self.checkpoints.intact)

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None


async def verify_chains(js_or_log: JetStreamContext | EventLog, *, stream: str, subject_prefix: str,
                        limit: int = 100, batch: int = 500,
                        checkpoints: CheckpointChecker | None = None) -> VerifyReport:
    """Check every event's hash, prevhash, version and subject, from the first to the last sequence.

    With `checkpoints` (built from checkpoints read before this starts, so none covers more than
    the log had when it was read), the same pass checks them against the log's Merkle tree.
    """
    _, js = connection_of(js_or_log)
    last = await last_sequence(js, stream)
    checker = ChainChecker(Subjects(subject_prefix))
    breaks: list[Break] = []
    count = 0
    async for record in read_log(js_or_log, stream=stream, first=1, last=last, batch=batch):
        if checkpoints is not None:
            checkpoints.feed(record.sequence, record.payload)
        try:
            found = checker.feed(read_event(record.payload, record.sequence), record.subject)
        except UnreadableEvent as error:
            found = checker.unreadable(record.sequence, record.subject, error.reason)
        if found is not None:
            count += 1
            if len(breaks) < limit:
                breaks.append(found)
    return VerifyReport(stream, last, checker.events, checker.aggregates, count, tuple(breaks),
                        None if checkpoints is None else checkpoints.finish())
