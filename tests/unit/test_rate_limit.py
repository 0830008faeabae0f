"""Token buckets: a burst is allowed, then the rate; callers are limited separately."""

from __future__ import annotations

from shared.http.ratelimit import TokenBuckets


def test_a_burst_is_allowed_and_then_the_caller_must_wait() -> None:
    buckets = TokenBuckets(rate=10, burst=3)
    assert [buckets.take("a", now=0.0) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a", now=0.0) == 0.1


def test_tokens_come_back_at_the_rate() -> None:
    buckets = TokenBuckets(rate=10, burst=1)
    assert buckets.take("a", now=0.0) == 0
    assert buckets.take("a", now=0.05) > 0
    assert buckets.take("a", now=0.2) == 0


def test_each_caller_has_its_own_bucket() -> None:
    buckets = TokenBuckets(rate=1, burst=1)
    assert buckets.take("a", now=0.0) == 0
    assert buckets.take("b", now=0.0) == 0
    assert buckets.take("a", now=0.0) > 0
