"""Replaying the log: stored events in sequence order, optionally within a time window or of some types."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from collections.abc import Set as AbstractSet
from datetime import datetime

from nats.js import JetStreamContext
from pydantic import ValidationError

from shared.bus.eventlog import EventLog
from shared.events.envelope import StoredEvent

from .filters import EventFilter, TimeField
from .reader import connection_of, last_sequence, read_log


class UnreadableEvent(ValueError):
    """A message in the log is not a stored event."""

    def __init__(self, sequence: int, reason: str) -> None:
        super().__init__(f"sequence {sequence} is not a stored event: {reason}")
        self.sequence, self.reason = sequence, reason


def read_event(payload: bytes, sequence: int) -> StoredEvent:
    """The stored event in a message's bytes; UnreadableEvent if it is not one."""
    try:
        return StoredEvent.from_payload(payload, sequence)
    except ValidationError as error:
        # Field names and pydantic's message only: the input may hold personal data.
        first = error.errors(include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise UnreadableEvent(sequence, f"{where}: {first['msg']} ({error.error_count()} problems)") from None


async def replay(js_or_log: JetStreamContext | EventLog, *, stream: str, from_sequence: int = 1,
                 to_sequence: int | None = None, from_time: datetime | None = None,
                 to_time: datetime | None = None, types: AbstractSet[str] | None = None,
                 time_field: TimeField = "time", batch: int = 500) -> AsyncGenerator[StoredEvent, None]:
    """Stored events (with `sequence`) from `from_sequence` to `to_sequence` or the last sequence at the start.

    `from_time` (inclusive) and `to_time` (exclusive) bound the event's `time`, or its
    `recordedtime` with `time_field="recordedtime"`, compared as instants; `types` keeps only
    those CloudEvents types.
    """
    keep = EventFilter(from_time, to_time, None if types is None else frozenset(types), time_field)
    _, js = connection_of(js_or_log)
    last = await last_sequence(js, stream)
    if to_sequence is not None:
        last = min(last, to_sequence)
    async for record in read_log(js_or_log, stream=stream, first=from_sequence, last=last, batch=batch):
        event = read_event(record.payload, record.sequence)
        if keep.matches(event):
            yield event
