"""When a failed delivery is tried again: exponential backoff with jitter, then parking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class DeliveryStatus(StrEnum):
    PENDING = "pending"      # not tried yet, or requeued
    DELIVERED = "delivered"  # the receiver answered 2xx (or the mail server took the message)
    FAILED = "failed"        # the last attempt failed; it will be tried again at next_attempt_at
    PARKED = "parked"        # failed the maximum number of times; waits for an operator's requeue
    CANCELLED = "cancelled"  # its subscription was deleted before it could be delivered


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before attempt n+1 after n failures: base * factor^(n-1), capped, minus up to `jitter`.

    Jitter only ever shortens the delay, so the first retry is never later than `base` (a few
    seconds), and receivers that failed together are not all retried in the same instant.
    """

    base_seconds: float
    cap_seconds: float
    factor: float = 4.0
    jitter: float = 0.25

    def delay(self, failures: int, random_fraction: float) -> timedelta:
        """The wait after `failures` failed attempts; `random_fraction` in [0, 1)."""
        nominal = min(self.cap_seconds, self.base_seconds * self.factor ** max(0, failures - 1))
        return timedelta(seconds=nominal * (1 - self.jitter * random_fraction))

    def schedule(self, attempts: int) -> list[timedelta]:
        """The nominal waits between `attempts` attempts (for docs and tests)."""
        return [self.delay(n, 0.0) for n in range(1, attempts)]


@dataclass(frozen=True, slots=True)
class AfterFailure:
    status: DeliveryStatus
    next_attempt_at: datetime | None


def after_failure(attempts: int, max_attempts: int, backoff: Backoff, now: datetime,
                  random_fraction: float) -> AfterFailure:
    """Failed again: retry later, or park once `max_attempts` attempts have failed."""
    if attempts >= max_attempts:
        return AfterFailure(DeliveryStatus.PARKED, None)
    return AfterFailure(DeliveryStatus.FAILED, now + backoff.delay(attempts, random_fraction))
