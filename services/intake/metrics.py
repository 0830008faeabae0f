"""Prometheus metrics of the intake service (the projection runner's live in shared/)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS_APPENDED = Counter("tilts_events_appended_total", "Events appended to the log", ["type"])
EVENTS_REJECTED = Counter("tilts_events_rejected_total", "Events refused", ["status"])
EVENTS_DUPLICATE = Counter("tilts_events_duplicate_total", "Re-sent events answered as duplicates")
APPEND_CONFLICTS = Counter("tilts_append_conflicts_total", "Appends retried after optimistic-concurrency conflicts")
APPEND_SECONDS = Histogram("tilts_append_seconds", "Time to decide and durably append one event",
                           buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))

# Every status the intake refuses with, so a healthy intake shows them at 0 from the start (an
# alert on `tilts_events_rejected_total{status="503"}` then has a series to watch).
REFUSAL_STATUSES = ("400", "401", "403", "404", "409", "413", "415", "422", "429", "503")


def start_series(event_types: list[str]) -> None:
    """Create every label set at 0: a series that appears only when it first counts looks, to a
    dashboard or an alert, like nothing rather than like zero."""
    for status in REFUSAL_STATUSES:
        EVENTS_REJECTED.labels(status)
    for event_type in event_types:
        EVENTS_APPENDED.labels(event_type)
