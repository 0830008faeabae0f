"""Prometheus metrics every service has: its projections' (each service is its own process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

PROJECTION_POSITION = Gauge("tilts_projection_position", "Last stream sequence applied", ["projection"])
PROJECTION_LAG = Gauge("tilts_projection_lag_events", "Events in the log not yet applied", ["projection"])
PROJECTION_EVENTS = Counter("tilts_projection_events_total", "Events applied", ["projection"])
PROJECTION_RETRIES = Counter("tilts_projection_retries_total", "Transient failures retried", ["projection"])
PROJECTION_POISONED = Gauge("tilts_projection_poisoned", "1 while a projection is stopped on a poison event",
                            ["projection"])
PROJECTION_AHEAD = Gauge("tilts_projection_ahead_of_log",
                         "1 while a projection's position is past the log's end (it was built from another log)",
                         ["projection"])


def start_projection_series(name: str) -> None:
    """Every projection series at 0 from the start (see services/intake/metrics.py `start_series`)."""
    PROJECTION_EVENTS.labels(name)
    PROJECTION_RETRIES.labels(name)
    PROJECTION_POISONED.labels(name).set(0)
    PROJECTION_AHEAD.labels(name).set(0)
    PROJECTION_LAG.labels(name)
