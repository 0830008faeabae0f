"""Prometheus metrics shared by every service (each service is its own process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPENDED = Counter("tilts_events_appended_total", "Events appended to the log", ["type"])
EVENTS_REJECTED = Counter("tilts_events_rejected_total", "Events refused", ["status"])
EVENTS_DUPLICATE = Counter("tilts_events_duplicate_total", "Re-sent events answered as duplicates")
APPEND_CONFLICTS = Counter("tilts_append_conflicts_total", "Appends retried after optimistic-concurrency conflicts")
APPEND_SECONDS = Histogram("tilts_append_seconds", "Time to decide and durably append one event",
                           buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))

PROJECTION_POSITION = Gauge("tilts_projection_position", "Last stream sequence applied", ["projection"])
PROJECTION_LAG = Gauge("tilts_projection_lag_events", "Events in the log not yet applied", ["projection"])
PROJECTION_EVENTS = Counter("tilts_projection_events_total", "Events applied", ["projection"])
PROJECTION_RETRIES = Counter("tilts_projection_retries_total", "Transient failures retried", ["projection"])
PROJECTION_POISONED = Gauge("tilts_projection_poisoned", "1 while a projection is stopped on a poison event",
                            ["projection"])
