"""The messages sent: a webhook's CloudEvent body, and how to answer a notice."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from shared.riga import RIGA

from .notices import COOPERATION_RECORDED, Notice

SOURCE = "tilts/notifications"


def how_to_respond(notice: Notice, intake_url: str, link: str | None, link_expires: datetime | None
                  ) -> dict[str, Any]:
    """The signed link, and the events an institution's own system may post to the intake."""
    facts = notice.facts
    if notice.event_type == COOPERATION_RECORDED:
        data = {"cooperation_id": facts["cooperation_id"], "contact_id": facts["contact"]["id"]}
        events = [{"type": "tilts.cooperation.acknowledged", "data": data, "optional": ["note"]},
                  {"type": "tilts.cooperation.disputed", "data": data, "required": ["reason"]}]
    else:
        data = {"referral_id": facts["referral_id"]}
        events = [{"type": f"tilts.referral.{step}", "data": data, "optional": ["note"]}
                  for step in ("accepted", "declined", "completed")]
    respond: dict[str, Any] = {
        "intake": {"method": "POST", "url": f"{intake_url}/v1/events",
                   "authorization": "Bearer <an institution token for your institution>",
                   "format": "CloudEvents 1.0 structured JSON; choose the event id yourself",
                   "events": events}}
    if link is not None and link_expires is not None:
        respond["link"] = link
        respond["link_expires"] = link_expires.isoformat()
    return respond


def webhook_body(notice: Notice, respond: dict[str, Any] | None) -> bytes:
    """A data-minimised CloudEvent: the notice's facts, and how to answer it if it can be."""
    data = {k: v for k, v in notice.facts.items() if k not in ("kind", "type")}
    if respond is not None:
        data["respond"] = respond
    body = {"specversion": "1.0", "type": notice.event_type, "source": SOURCE, "id": notice.event_id,
            "time": notice.facts["time"], "datacontenttype": "application/json", "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def in_time_order(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A message's notices by when each happened (a digest's order is not the queue's: a requeued
    delivery is claimed first, and phones post late)."""
    return sorted(items, key=lambda item: datetime.fromisoformat(item["facts"]["time"]))


def next_digest_at(now: datetime, hour: int) -> datetime:
    """The next time a daily digest leaves: `hour` o'clock in Riga, after `now`."""
    local = now.astimezone(RIGA)
    candidate = datetime.combine(local.date(), time(hour), RIGA)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hour), RIGA)
    return candidate
