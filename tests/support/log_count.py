"""Counting the whole log by event id against what the intake acknowledged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from shared.audit.replay import replay
from shared.bus.connect import connect


async def stored_sequences(nats_url: str, stream: str) -> dict[str, list[int]]:
    """Every event id in the stream, from sequence 1 to its end, with the sequences it is stored at."""
    nc = await connect(nats_url, "tilts-log-count")
    try:
        stored: dict[str, list[int]] = defaultdict(list)
        async for event in replay(nc.jetstream(timeout=10), stream=stream):
            stored[event.id].append(event.sequence or 0)
        return dict(stored)
    finally:
        await nc.close()


@dataclass(frozen=True)
class LogCount:
    """What counting found: each acknowledged id must be stored once, where the API said."""

    acknowledged: int
    exactly_once: int
    stored: int  # events in the log
    missing: tuple[str, ...]  # acknowledged, not in the log
    doubled: tuple[str, ...]  # in the log more than once (acknowledged or not)
    moved: tuple[str, ...]  # stored at another sequence than the one acknowledged

    @property
    def ok(self) -> bool:
        return not (self.missing or self.doubled or self.moved) and self.exactly_once == self.acknowledged


def count_log(acknowledged: Mapping[str, int], stored: Mapping[str, list[int]]) -> LogCount:
    """Compare acknowledged ids (id -> sequence) with the log's contents (id -> sequences)."""
    missing = tuple(i for i in acknowledged if i not in stored)
    doubled = tuple(i for i, sequences in stored.items() if len(sequences) > 1)
    moved = tuple(i for i, sequence in acknowledged.items() if i in stored and stored[i] != [sequence])
    once = sum(1 for i in acknowledged if len(stored.get(i, ())) == 1)
    return LogCount(len(acknowledged), once, sum(len(s) for s in stored.values()), missing, doubled, moved)
