"""The delivery worker records what a send did even when PostgreSQL is away for a moment.

Found by the fault tests: a webhook answered while PostgreSQL restarted was left leased and
unrecorded, and a healthy receiver got it again once the lease ran out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from services.notifications.adapters.deliveries import ClaimedDelivery
from services.notifications.application.couriers import SendResult
from services.notifications.application.delivering import RECORD_MARGIN_SECONDS, DeliveryWorker, WorkerLimits
from services.notifications.domain.backoff import Backoff
from tests.support.inboxes import eventually


def _delivery(number: int) -> ClaimedDelivery:
    return ClaimedDelivery(delivery_id=f"d{number}", event_id=f"ev{number}", event_type="tilts.cooperation.recorded",
                           subscription_id="s1", institution_id="school", channel="webhook",
                           origin="https://school.example", attempts=1, recorded_at=datetime.now(UTC), facts={},
                           target="https://school.example/hook", sealed_secret=b"x", digest=None,
                           subscription_deleted=False)


class AwayStore:
    """A delivery store whose PostgreSQL refuses connections for the first `away_for` records."""

    def __init__(self, due: list[ClaimedDelivery], away_for: int) -> None:
        self.due, self.away_for = list(due), away_for
        self.delivered: list[str] = []
        self.failed: list[str] = []

    async def claim(self, owner: str, limit: int, *args: Any) -> list[ClaimedDelivery]:
        claimed, self.due = self.due[:limit], self.due[limit:]
        return claimed

    async def mark_delivered(self, delivery_ids: list[str]) -> None:
        self._maybe_away()
        self.delivered += delivery_ids

    async def mark_failed(self, delivery_id: str, owner: str, *args: Any) -> bool:
        self._maybe_away()
        self.failed.append(delivery_id)
        return True

    def _maybe_away(self) -> None:
        if self.away_for > 0:
            self.away_for -= 1
            raise ConnectionRefusedError(111, "Connection refused")

    async def release(self, delivery_ids: list[str], owner: str) -> None:
        return None

    async def next_due(self) -> None:
        return None

    async def open_counts(self) -> dict[str, int]:
        return {}


class CountingCourier:
    def __init__(self, ok: bool = True) -> None:
        self.ok, self.sent = ok, 0

    async def deliver(self, batch: Sequence[ClaimedDelivery]) -> SendResult:
        self.sent += 1
        return SendResult(self.ok, None if self.ok else "503 from the receiver")


def _worker(store: AwayStore, courier: CountingCourier, lease_seconds: float) -> DeliveryWorker:
    limits = WorkerLimits(concurrency=4, per_origin=4, lease_seconds=lease_seconds, poll_seconds=0.05, max_attempts=8)
    return DeliveryWorker(store, {"webhook": courier}, Backoff(0.05, 0.5), limits, asyncio.Event())  # type: ignore[arg-type]


async def _work_until(store: AwayStore, courier: CountingCourier, done: Callable[[], bool], what: str) -> None:
    """Run a worker (30 s leases) until `done`, then stop it."""
    worker = _worker(store, courier, lease_seconds=30)
    worker.start()
    try:
        await eventually(done, 10, what=what)
    finally:
        await worker.stop(grace_seconds=1)


async def test_a_send_answered_while_postgres_is_away_is_recorded_once_it_is_back_and_not_sent_again() -> None:
    store, courier = AwayStore([_delivery(1)], away_for=2), CountingCourier()
    await _work_until(store, courier, lambda: store.delivered == ["d1"], "the delivery recorded")
    assert courier.sent == 1


async def test_a_failed_send_is_recorded_as_failed_once_postgres_is_back() -> None:
    store, courier = AwayStore([_delivery(1)], away_for=1), CountingCourier(ok=False)
    await _work_until(store, courier, lambda: store.failed == ["d1"], "the failure recorded")
    assert courier.sent == 1 and store.delivered == []


async def test_the_worker_stops_trying_to_record_before_the_lease_runs_out() -> None:
    store, courier = AwayStore([_delivery(1)], away_for=1_000), CountingCourier()
    worker = _worker(store, courier, lease_seconds=RECORD_MARGIN_SECONDS + 0.5)
    worker.start()
    try:
        await eventually(lambda: courier.sent == 1 and not worker._in_flight, 10, what="the send given up on")
    finally:
        await worker.stop(grace_seconds=1)
    assert store.delivered == [] and store.away_for > 0  # left to the lease: sent again later, at least once
