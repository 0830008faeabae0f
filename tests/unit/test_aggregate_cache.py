"""The intake's aggregate cache stays bounded by the events its states remember."""

from __future__ import annotations

from types import MappingProxyType

from shared.events.base import AggregateRef
from services.intake.adapters.aggregates import AggregateStore
from services.intake.domain.state import AggregateState, Applied, Municipality


def _state(name: str, events: int) -> AggregateState:
    applied = {f"{name}-{n}": Applied(n + 1, n + 1, "f" * 64, "med-1") for n in range(events)}
    return AggregateState(ref=AggregateRef("family", name), subject=f"s.{name}", body=Municipality(name),
                          version=events, last_sequence=events, applied=MappingProxyType(applied))


def _store(capacity: int) -> AggregateStore:
    return AggregateStore(log=None, capacity=capacity)  # type: ignore[arg-type]  # remember() never reads it


def test_states_with_many_events_push_out_the_least_recently_used() -> None:
    store = _store(capacity=100)
    for name in ("a", "b", "c"):
        store.remember(_state(name, 39))  # 40 each with the state itself
    assert store.cached(AggregateRef("family", "a")) is None
    assert store.cached(AggregateRef("family", "b")) is not None
    assert store.weight == 80


def test_a_state_remembered_again_replaces_its_old_weight() -> None:
    store = _store(capacity=1_000)
    for events in range(1, 50):
        store.remember(_state("a", events))
    assert store.weight == 50


def test_a_read_keeps_a_state_from_being_evicted_first() -> None:
    store = _store(capacity=30)
    store.remember(_state("a", 9))
    store.remember(_state("b", 9))
    store.cached(AggregateRef("family", "a"))
    store.remember(_state("c", 9))
    store.remember(_state("d", 9))
    assert store.cached(AggregateRef("family", "b")) is None
    assert store.cached(AggregateRef("family", "a")) is not None


def test_one_state_heavier_than_the_capacity_is_still_kept() -> None:
    store = _store(capacity=10)
    store.remember(_state("a", 50))
    assert store.cached(AggregateRef("family", "a")) is not None


def test_an_aggregate_that_does_not_exist_is_never_cached() -> None:
    store = _store(capacity=10)
    store.remember(AggregateState(ref=AggregateRef("family", "ghost")))
    assert store.cached(AggregateRef("family", "ghost")) is None and store.weight == 0
