"""The delivery worker: claims due deliveries, sends them, records what happened.

At-least-once: a delivery is leased before it is sent and marked only after the receiver
answered, so a crash in between sends it again once the lease has run out. The worker sleeps
until it is woken (the fan-out NOTIFYs on commit; a finished send frees a slot) or until the
next delivery falls due, with a slow poll as a fallback; it never spins. At most `concurrency`
sends are in flight, and at most `per_origin` to any one receiving origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from shared.db.pool import UNAVAILABLE
from services.notifications import metrics
from services.notifications.adapters.deliveries import ClaimedDelivery, DeliveryStore
from services.notifications.domain.backoff import Backoff, after_failure

from .couriers import Courier, SendResult

log = structlog.get_logger(__name__)

CLAIM_BATCH = 64
COUNTS_EVERY_SECONDS = 10.0
# Stop retrying to record an outcome this long before the lease ends: past it, another worker may
# already be sending the delivery again, and the record could no longer prevent that.
RECORD_MARGIN_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class WorkerLimits:
    concurrency: int
    per_origin: int
    lease_seconds: float
    poll_seconds: float
    max_attempts: int


class DeliveryWorker:
    """Runs deliveries until stopped; stopping lets sends in flight finish and gives back the rest."""

    def __init__(self, store: DeliveryStore, couriers: dict[str, Courier], backoff: Backoff, limits: WorkerLimits,
                 wake: asyncio.Event, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 random_fraction: Callable[[], float] = random.random) -> None:
        self._store, self._couriers, self._backoff, self._limits = store, couriers, backoff, limits
        self._wake, self._clock, self._random = wake, clock, random_fraction
        self.owner = f"worker-{uuid.uuid4().hex[:12]}"
        self._in_flight: dict[asyncio.Task, list[ClaimedDelivery]] = {}
        self._per_origin: Counter[str] = Counter()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._counted_at = 0.0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notifications:deliveries")

    async def stop(self, grace_seconds: float) -> None:
        """Stop claiming, let sends in flight finish (bounded), then stop."""
        self._stopping.set()
        self._wake.set()
        if self._task:
            await asyncio.wait({self._task}, timeout=5)
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=grace_seconds)
        for task in list(self._in_flight):
            task.cancel()  # its lease runs out and another worker sends it again
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=5)

    async def _run(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                self._wake.clear()
                claimed = await self._claim()
                await self._count_open()
                backoff = 0.2
                if not claimed:
                    await self._sleep()
            except asyncio.CancelledError:
                raise
            except UNAVAILABLE as error:
                log.warning("deliveries.database_unavailable", error=type(error).__name__)
                await self._pause(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:
                log.exception("deliveries.loop_failed")
                await self._pause(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _claim(self) -> bool:
        """Claim what may be sent now and start sending it; False if there was nothing."""
        free = self._limits.concurrency - len(self._in_flight)
        if free <= 0:
            return False
        # Taken before the claim: the leases it grants end no sooner than this plus their length.
        lease_ends = time.monotonic() + self._limits.lease_seconds
        claimed = await self._store.claim(self.owner, min(free, CLAIM_BATCH), self._limits.lease_seconds,
                                          self._limits.per_origin, dict(self._per_origin))
        if not claimed:
            return False
        batches = await self._batches(claimed)
        starting, over = self._within_limits(batches)
        if over:
            await self._store.release([d.delivery_id for batch in over for d in batch], self.owner)
        for batch in starting:
            self._start(batch, lease_ends)
        return bool(starting)

    async def _batches(self, claimed: list[ClaimedDelivery]) -> list[list[ClaimedDelivery]]:
        """One batch per delivery; a digest subscription's open deliveries go together."""
        batches: list[list[ClaimedDelivery]] = []
        digests: dict[str, list[ClaimedDelivery]] = {}
        for delivery in claimed:
            if delivery.digest and not delivery.subscription_deleted:
                digests.setdefault(delivery.subscription_id, []).append(delivery)
            else:
                batches.append([delivery])
        for subscription_id, due in digests.items():
            more = await self._store.claim_digest(self.owner, subscription_id, self._limits.lease_seconds)
            batches.append(due + more)
        return batches

    def _within_limits(self, batches: list[list[ClaimedDelivery]]
                       ) -> tuple[list[list[ClaimedDelivery]], list[list[ClaimedDelivery]]]:
        starting, over = [], []
        planned = Counter(self._per_origin)
        for batch in batches:
            origin = batch[0].origin
            if planned[origin] < self._limits.per_origin:
                planned[origin] += 1
                starting.append(batch)
            else:
                over.append(batch)
        return starting, over

    def _start(self, batch: list[ClaimedDelivery], lease_ends: float) -> None:
        task = asyncio.create_task(self._deliver(batch, lease_ends))
        self._in_flight[task] = batch
        self._per_origin[batch[0].origin] += 1
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        batch = self._in_flight.pop(task)
        self._per_origin[batch[0].origin] -= 1
        if self._per_origin[batch[0].origin] <= 0:
            del self._per_origin[batch[0].origin]
        self._wake.set()  # a slot is free: there may be work for it

    async def _deliver(self, batch: list[ClaimedDelivery], lease_ends: float) -> None:
        first = batch[0]
        if first.subscription_deleted:
            await self._store.mark_cancelled([d.delivery_id for d in batch])
            metrics.DELIVERY_OUTCOMES.labels(first.channel, "cancelled").inc(len(batch))
            return
        started = time.perf_counter()
        try:
            result = await self._couriers[first.channel].deliver(batch)
        except Exception as error:  # a broken message must count as a failed attempt, not kill the worker
            log.exception("delivery.courier_failed", delivery_id=first.delivery_id, event_id=first.event_id,
                          subscription_id=first.subscription_id)
            result = SendResult(False, f"internal error: {type(error).__name__}")
        metrics.SEND_SECONDS.labels(first.channel).observe(time.perf_counter() - started)
        await self._record_while_leased(batch, result, lease_ends)

    async def _record_while_leased(self, batch: list[ClaimedDelivery], result: SendResult, lease_ends: float) -> None:
        """Record what the send did, retrying while PostgreSQL is away and the lease still holds.

        Without the retries, a webhook answered just as PostgreSQL restarted stayed leased and
        unrecorded, and went out a second time to a healthy receiver once the lease ran out.
        """
        pause = 0.2
        while True:
            try:
                await self._record(batch, result)
                return
            except UNAVAILABLE as error:
                if time.monotonic() + pause > lease_ends - RECORD_MARGIN_SECONDS:
                    # At least once still holds: the delivery is sent again after its lease.
                    log.warning("delivery.outcome_unrecorded", delivery_id=batch[0].delivery_id,
                                event_id=batch[0].event_id, delivered=result.ok, error=type(error).__name__)
                    return
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)

    async def _record(self, batch: list[ClaimedDelivery], result: SendResult) -> None:
        if result.ok:
            await self._store.mark_delivered([d.delivery_id for d in batch])
            now = self._clock()
            for delivery in batch:
                metrics.DELIVERY_OUTCOMES.labels(delivery.channel, "delivered").inc()
                metrics.DELIVERY_LATENCY.labels(delivery.channel).observe(
                    max(0.0, (now - delivery.recorded_at).total_seconds()))
                log.info("delivery.delivered", delivery_id=delivery.delivery_id, event_id=delivery.event_id,
                         subscription_id=delivery.subscription_id, attempts=delivery.attempts)
            return
        for delivery in batch:
            await self._record_failure(delivery, result.error or "failed")

    async def _record_failure(self, delivery: ClaimedDelivery, error: str) -> None:
        outcome = after_failure(delivery.attempts, self._limits.max_attempts, self._backoff, self._clock(),
                                self._random())
        if not await self._store.mark_failed(delivery.delivery_id, self.owner, outcome.status,
                                             outcome.next_attempt_at, error):
            log.warning("delivery.lease_lost", delivery_id=delivery.delivery_id, event_id=delivery.event_id)
            return
        metrics.DELIVERY_OUTCOMES.labels(delivery.channel, str(outcome.status)).inc()
        log.warning("delivery." + str(outcome.status), delivery_id=delivery.delivery_id, event_id=delivery.event_id,
                    subscription_id=delivery.subscription_id, attempts=delivery.attempts, error=error,
                    next_attempt_at=outcome.next_attempt_at.isoformat() if outcome.next_attempt_at else None)

    async def _sleep(self) -> None:
        """Until woken, or until the next delivery falls due (never longer than the poll)."""
        timeout = self._limits.poll_seconds
        due = await self._store.next_due()
        if due is not None:
            until_due = (due - self._clock()).total_seconds()
            if until_due > 0:  # already due but not claimable (busy origin, leased): wait for a wake-up
                timeout = min(timeout, until_due + 0.005)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _count_open(self) -> None:
        if time.monotonic() - self._counted_at < COUNTS_EVERY_SECONDS:
            return
        self._counted_at = time.monotonic()
        for status, count in (await self._store.open_counts()).items():
            metrics.DELIVERIES.labels(status).set(count)
