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


# --- what a webhook subscription receives (the OpenAPI document's `webhooks`) ---------------------

_PARTY = obj({"id": STRING}, optional={"name": STRING, "display_name": STRING, "role": STRING})
_RESPOND = obj({"intake": obj({"method": STRING, "url": STRING, "authorization": STRING, "format": STRING,
                               "events": {"type": "array", "items": obj({"type": STRING, "data": {"type": "object"}})}})},
               optional={"link": {"type": "string", "description": "Answer without an API: open it in a browser"},
                         "link_expires": TIME},
               description="How to answer a new cooperation or referral: post one of these events, or use the link")
NOTICE = obj({
    "specversion": {"const": "1.0"}, "type": {"type": "string", "description": "The event type it tells of"},
    "source": {"const": "tilts/notifications"},
    "id": {"type": "string", "description": "The event's id; also the webhook-id header: deduplicate on it"},
    "time": TIME, "datacontenttype": {"const": "application/json"},
    "data": obj({"institution": _PARTY, "time": TIME}, optional={
        "cooperation_id": STRING, "referral_id": STRING, "mediator": _PARTY, "contact": _PARTY,
        "domain": STRING, "channel": STRING, "purpose": STRING, "service": STRING, "answer": STRING,
        "status": STRING, "respond": _RESPOND,
        "cooperation_time": {**TIME, "description": "An answer's notice: when the cooperation it answers took place"},
        "referral_time": {**TIME, "description": "An answer's notice: when the referral it answers was made"}},
        description="What happened, without any family's details")},
    description="A CloudEvent telling an institution of a cooperation or referral that names it (or of an "
                "answer to one, if the subscription asked for those). Delivered at least once, retried with "
                "backoff; signed per the Standard Webhooks spec with the subscription's secret.")
_SIGNED = [{"name": name, "in": "header", "required": True, "schema": STRING, "description": description}
           for name, description in (
               ("webhook-id", "The event id: the same on every retry of this notice"),
               ("webhook-timestamp", "Unix seconds when this attempt was signed"),
               ("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body> (Standard Webhooks)"))]
WEBHOOK = {"summary": "A notice to an institution's webhook", "operationId": "notice",
           "parameters": _SIGNED,
           "requestBody": {"required": True, "content": {"application/json": {"schema": NOTICE}}},
           "responses": {"2XX": {"description": "Received; any other answer (or none in 10 s) is retried"}}}
