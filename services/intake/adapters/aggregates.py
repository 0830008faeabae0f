"""Aggregate states rebuilt from the log, kept in a bounded in-process cache.

The cache may be stale when another intake process wrote since. For the aggregate written to
that is safe: every append is conditional on its last sequence (a stale state makes the append
fail and the state is re-read). For the aggregates a decision refers to (the family, the case,
the mediator), the log checks nothing, so a state another process changed is dropped as soon as
the event index shows the change (`changed`, fed by `known_ids.py`, about a second), and a
refusal based on a cached reference is re-checked against the log. Aggregates that do not exist
are never cached, so "not found" is always fresh.

The cache is bounded by the events its states remember, not by how many states it holds: a
state keeps the id and fingerprint of each of its events (to recognise a re-send), so a bound
on states alone let memory grow with the log (a 30-minute soak showed it). Least recently used
states go first; an evicted one is simply read again from the log. 25,000 events is a few
thousand aggregates a day's work touches, about 20 MB.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from shared.bus.eventlog import EventLog
from shared.events.base import AggregateRef, EventData
from shared.events.envelope import StoredEvent
from services.intake.adapters.holds import Holds, LockTable
from services.intake.domain.state import AggregateState, apply_stored


class AggregateStore:
    """Loads aggregate states from the log, caches them, and hands out per-aggregate locks."""

    def __init__(self, log: EventLog, *, capacity: int = 25_000) -> None:
        self._log = log
        self._capacity = capacity  # events remembered by the cached states, all together
        self._weight = 0
        self._cache: OrderedDict[AggregateRef, AggregateState] = OrderedDict()
        self.locks = LockTable()

    def holds(self, *, wait: bool = True) -> Holds:
        """Holds for one request: its targets alone, what its decisions rest on shared (holds.py)."""
        return self.locks.holds(wait=wait)

    def changed(self, ref: AggregateRef, sequence: int) -> None:
        """The log has an event of `ref` at `sequence` (another process may have written it):
        a cached state that has not seen it is dropped, and read again when next needed."""
        state = self._cache.get(ref)
        if state is not None and state.last_sequence < sequence:
            self.forget(ref)

    def cached(self, ref: AggregateRef) -> AggregateState | None:
        state = self._cache.get(ref)
        if state is not None:
            self._cache.move_to_end(ref)
        return state

    async def load(self, ref: AggregateRef) -> AggregateState:
        """The aggregate's state: from the cache, else rebuilt from its history in the log."""
        return self.cached(ref) or await self.reload(ref)

    async def load_many(self, refs: list[AggregateRef]) -> dict[AggregateRef, AggregateState]:
        states = await asyncio.gather(*(self.load(ref) for ref in refs))
        return dict(zip(refs, states))

    async def reload(self, ref: AggregateRef) -> AggregateState:
        """Rebuild from the log, reading only what the cached state has not seen."""
        state = self._cache.get(ref)
        if state is None or state.subject is None:
            subject = await self._log.locate(self._log.subjects.any_municipality(ref.type, ref.id))
            state = AggregateState(ref=ref)
            if subject is None:
                return state
        else:
            subject = state.subject
        for event in await self._log.history(subject, after=state.last_sequence):
            state = apply_stored(state, event, subject)
        self.remember(state)
        return state

    @property
    def weight(self) -> int:
        """Events remembered by the cached states (what the capacity bounds)."""
        return self._weight

    def remember(self, state: AggregateState) -> None:
        if not state.exists:
            return
        previous = self._cache.pop(state.ref, None)
        if previous is not None:
            self._weight -= _weight(previous)
        self._cache[state.ref] = state
        self._weight += _weight(state)
        while self._weight > self._capacity and len(self._cache) > 1:
            _, evicted = self._cache.popitem(last=False)
            self._weight -= _weight(evicted)

    def record(self, state: AggregateState, event: StoredEvent, subject: str,
               data: EventData | None = None) -> AggregateState:
        """Fold our own just-appended event into the cached state."""
        new_state = apply_stored(state, event, subject, data)
        self.remember(new_state)
        return new_state

    def forget(self, ref: AggregateRef) -> None:
        state = self._cache.pop(ref, None)
        if state is not None:
            self._weight -= _weight(state)


def _weight(state: AggregateState) -> int:
    return 1 + len(state.applied)
