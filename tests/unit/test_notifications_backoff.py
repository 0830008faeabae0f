"""Retry schedule: the first retry within seconds, later ones further apart, then parking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.notifications.domain.backoff import Backoff, DeliveryStatus, after_failure
from services.notifications.domain.messages import next_digest_at

DEFAULT = Backoff(base_seconds=5.0, cap_seconds=6 * 3600.0)
NOW = datetime(2020, 1, 14, 10, 0, tzinfo=UTC)


def test_the_default_schedule_retries_within_seconds_then_backs_off_to_hours() -> None:
    waits = [w.total_seconds() for w in DEFAULT.schedule(8)]
    assert waits == [5, 20, 80, 320, 1280, 5120, 20480]
    assert sum(waits) / 3600 < 8  # the last attempt comes well within a working day


def test_jitter_only_shortens_a_wait_and_by_at_most_a_quarter() -> None:
    for failures in range(1, 12):
        nominal = DEFAULT.delay(failures, 0.0)
        shortest = DEFAULT.delay(failures, 0.999999)
        assert nominal * 0.75 <= shortest <= nominal
    assert DEFAULT.delay(30, 0.0) == timedelta(hours=6)  # capped, never overflowing


def test_a_failure_is_retried_until_the_maximum_attempts_then_parked() -> None:
    retry = after_failure(attempts=1, max_attempts=8, backoff=DEFAULT, now=NOW, random_fraction=0.0)
    assert retry.status is DeliveryStatus.FAILED and retry.next_attempt_at == NOW + timedelta(seconds=5)
    later = after_failure(attempts=7, max_attempts=8, backoff=DEFAULT, now=NOW, random_fraction=0.0)
    assert later.status is DeliveryStatus.FAILED and later.next_attempt_at == NOW + timedelta(seconds=20480)
    parked = after_failure(attempts=8, max_attempts=8, backoff=DEFAULT, now=NOW, random_fraction=0.5)
    assert parked.status is DeliveryStatus.PARKED and parked.next_attempt_at is None
    assert after_failure(1, 1, DEFAULT, NOW, 0.0).status is DeliveryStatus.PARKED


def test_a_daily_digest_leaves_at_the_next_digest_hour_in_riga_across_daylight_saving() -> None:
    winter = next_digest_at(datetime(2020, 1, 14, 10, 0, tzinfo=UTC), hour=8)
    assert winter == datetime(2020, 1, 15, 6, 0, tzinfo=UTC)  # 08:00 EET
    early = next_digest_at(datetime(2020, 1, 14, 5, 0, tzinfo=UTC), hour=8)
    assert early == datetime(2020, 1, 14, 6, 0, tzinfo=UTC)
    summer = next_digest_at(datetime(2020, 7, 1, 4, 59, tzinfo=UTC), hour=8)
    assert summer == datetime(2020, 7, 1, 5, 0, tzinfo=UTC)  # 08:00 EEST
    spring_forward = next_digest_at(datetime(2020, 3, 28, 12, 0, tzinfo=UTC), hour=8)
    assert spring_forward == datetime(2020, 3, 29, 5, 0, tzinfo=UTC)
