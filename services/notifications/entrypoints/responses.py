"""What the notifications API answers, as JSON Schema for its OpenAPI document."""

from __future__ import annotations

from shared.http.schemas import INTEGER, STRING, TIME, Schema, nullable, obj, strings
from services.notifications.domain.backoff import DeliveryStatus

SUBSCRIPTION = obj({
    "id": STRING, "institution_id": STRING, "channel": {"type": "string", "enum": ["webhook", "email"]},
    "target": STRING, "event_types": strings(), "digest": nullable(STRING), "created_at": TIME,
    "created_by": {"type": "string", "description": "Who subscribed (an admin, or the institution)"}})
SUBSCRIBED: Schema = {**SUBSCRIPTION, "properties": {**SUBSCRIPTION["properties"], "secret": {
    "type": "string", "description": "A webhook's signing secret (Standard Webhooks), shown this once"}}}

DELIVERY = obj({
    "id": STRING, "event_id": STRING, "event_type": STRING, "subscription_id": nullable(STRING),
    "institution_id": STRING, "channel": STRING,
    "status": {"type": "string", "enum": [status.value for status in DeliveryStatus]},
    "attempts": INTEGER, "last_error": nullable(STRING), "next_attempt_at": nullable(TIME),
    "delivered_at": nullable(TIME), "created_at": TIME})

_COUNTED = obj({"total": INTEGER, "told": INTEGER, "answered": INTEGER, "untold": INTEGER})
REACH = obj({
    "institution_id": STRING, "name": nullable(STRING), "municipality_id": nullable(STRING),
    "subscriptions": obj({"webhook": INTEGER, "email": INTEGER}, description="Live subscriptions by channel"),
    "cooperations": _COUNTED, "referrals": _COUNTED,
    "deliveries": obj({"pending": INTEGER, "failed": INTEGER, "parked": INTEGER}),
    "last_told_at": nullable(TIME)})
