"""Aggregate states rebuilt from the log, kept in a bounded in-process cache.

The cache may be stale when another intake process wrote since. For the aggregate written to
that is safe: every append is conditional on its last sequence (a stale state makes the append
fail and the state is re-read). For the aggregates a decision refers to (the family, the case,
the mediator), the log checks nothing, so a state another process changed is brought up to date
as soon as the event index shows the change (`changed`, fed by `known_ids.py`, about a second);
while that feed is late, every reference is brought up to date before it is used; and a refusal
based on a cached reference is re-checked against the log. Aggregates that do not exist
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
from collections.abc import Callable

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
        self._locks = LockTable()
        self._stale: dict[AggregateRef, int] = {}  # cached states the log has newer events of
        # Whether `changed` is being told what the log gains (known_ids.py); while it is not
        # (PostgreSQL away, the refresh late), cached states are brought up to date before use.
        self.changes_followed: Callable[[], bool] = lambda: True

    def holds(self, *, wait: bool = True) -> Holds:
        """Holds for one request: its targets alone, what its decisions rest on shared (holds.py)."""
        return self._locks.holds(wait=wait)

    def changed(self, ref: AggregateRef, sequence: int) -> None:
        """The log has an event of `ref` at `sequence` (another process may have written it):
        a cached state that has not seen it is brought up to date when next used."""
        state = self._cache.get(ref)
        if state is not None and state.last_sequence < sequence:
            self._stale[ref] = max(sequence, self._stale.get(ref, 0))

    def cached(self, ref: AggregateRef) -> AggregateState | None:
        state = self._cache.get(ref)
        if state is not None:
            self._cache.move_to_end(ref)
        return state

    async def load(self, ref: AggregateRef) -> AggregateState:
        """The aggregate's state: from the cache if it is known to be current, else brought up to
        date from its history in the log."""
        if ref in self._stale or not self.changes_followed():
            return await self.reload(ref)
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
        if self._stale.get(state.ref, 0) <= state.last_sequence:
            self._stale.pop(state.ref, None)
        while self._weight > self._capacity and len(self._cache) > 1:
            gone, evicted = self._cache.popitem(last=False)
            self._weight -= _weight(evicted)
            self._stale.pop(gone, None)

    def record(self, state: AggregateState, event: StoredEvent, subject: str,
               data: EventData | None = None) -> AggregateState:
        """Fold our own just-appended event into the cached state."""
        new_state = apply_stored(state, event, subject, data)
        self.remember(new_state)
        return new_state

    def forget(self, ref: AggregateRef) -> None:
        self._stale.pop(ref, None)
        state = self._cache.pop(ref, None)
        if state is not None:
            self._weight -= _weight(state)


def _weight(state: AggregateState) -> int:
    return 1 + len(state.applied)
