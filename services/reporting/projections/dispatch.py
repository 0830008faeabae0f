"""Which read models each event type changes: the one table from event type to row changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from shared.events.work import CooperationAcknowledged, CooperationDisputed
from shared.events.envelope import StoredEvent

from . import (activities, cases, cooperations, evaluations, families, outcomes, reach, referrals,
               registrations, reports, tallies)
from .changes import Change
from .facts import Fact
from .known import Known

Handler = Callable[[Fact, Known], list[Change]]

_MODULES = (registrations, families, cases, activities, cooperations, referrals, outcomes, reach,
            tallies, reports, evaluations)


def _table() -> dict[type, tuple[Handler, ...]]:
    table: dict[type, tuple[Handler, ...]] = {}
    for module in _MODULES:
        for event_type, handler in module.HANDLERS.items():
            table[event_type] = (*table.get(event_type, ()), handler)
    return table


HANDLERS = _table()


def rows_for(fact: Fact, known: Known) -> list[Change]:
    """Every row change one event makes, given what is known of the cases and cooperations it names."""
    return [change for handler in HANDLERS.get(type(fact.data), ()) for change in handler(fact, known)]


def first_occurrences(events: Iterable[StoredEvent]) -> list[StoredEvent]:
    """The events with each id kept once (the first), in order: a re-sent event counts once."""
    seen: set[str] = set()
    kept = []
    for event in events:
        if event.id not in seen:
            seen.add(event.id)
            kept.append(event)
    return kept


def cases_named(facts: Sequence[Fact]) -> set[str]:
    """Case ids that facts refer to (whose families the rows need)."""
    return {case_id for f in facts if (case_id := getattr(f.data, "case_id", None))}


def cooperations_answered(facts: Sequence[Fact]) -> set[str]:
    """Cooperation ids that acknowledgements and disputes refer to (whose tallies they add to)."""
    return {f.data.cooperation_id for f in facts if isinstance(f.data, CooperationAcknowledged | CooperationDisputed)}


def changes_for(facts: Sequence[Fact], known: Known) -> list[Change]:
    """The row changes of a run of facts, in order, learning cases and cooperations as they come."""
    changes: list[Change] = []
    for fact in facts:
        known.learn(fact)
        changes += rows_for(fact, known)
    return changes
