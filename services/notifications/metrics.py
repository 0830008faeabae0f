"""Prometheus metrics of the notifications service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DELIVERY_OUTCOMES = Counter("tilts_notify_delivery_attempts_total",
                            "Delivery attempts by channel and outcome (delivered, failed, parked, cancelled)",
                            ["channel", "outcome"])
DELIVERIES = Gauge("tilts_notify_deliveries", "Open deliveries by status (pending, failed, parked)", ["status"])
DELIVERY_LATENCY = Histogram("tilts_notify_delivery_latency_seconds",
                             "From the event's arrival in the log to the receiver's 2xx (or the mail server's OK)",
                             ["channel"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400))
SEND_SECONDS = Histogram("tilts_notify_send_seconds", "Duration of one delivery attempt", ["channel"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
LINK_ANSWERS = Counter("tilts_notify_link_answers_total", "Answers given through links, by outcome", ["outcome"])
