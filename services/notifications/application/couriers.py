"""Couriers: what a claimed delivery says and which channel carries it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from services.notifications.domain.links import Link, LinkKind, sign_link
from services.notifications.domain.messages import how_to_respond, in_time_order, webhook_body
from services.notifications.domain.notices import Notice

if TYPE_CHECKING:
    from services.notifications.adapters.deliveries import ClaimedDelivery
    from services.notifications.adapters.keys import WebhookSecrets


@dataclass(frozen=True, slots=True)
class SendResult:
    """What became of one attempt: ok, or why not (no secrets, no URLs, no personal data)."""

    ok: bool
    error: str | None = None


class WebhookPort(Protocol):
    async def send(self, url: str, secret: str, message_id: str, body: bytes) -> SendResult:
        """POST a signed body; ok on 2xx."""


class EmailPort(Protocol):
    async def send(self, to: str, subject: str, text: str, message_id: str) -> SendResult:
        """Hand one message to the mail server."""


class EmailRenderer(Protocol):
    def email(self, items: list[dict[str, Any]]) -> tuple[str, str]:
        """(subject, text) of a message telling these notices (one, or a day's digest)."""


class Courier(Protocol):
    async def deliver(self, batch: list[ClaimedDelivery]) -> SendResult:
        """Send one message for these deliveries (several only for a digest)."""


class Composer:
    """Builds what a delivery tells: the notice, a signed answer link, how to answer by API."""

    def __init__(self, link_key: bytes, public_url: str, intake_url: str, link_ttl: timedelta,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._link_key, self._public_url, self._intake_url, self._ttl = link_key, public_url, intake_url, link_ttl
        self._clock = clock

    @staticmethod
    def notice(delivery: ClaimedDelivery) -> Notice:
        return Notice(delivery.event_id, delivery.event_type, delivery.institution_id, delivery.facts)

    def link(self, delivery: ClaimedDelivery) -> tuple[str, datetime] | None:
        """The single-use answer link of a new cooperation or referral, and when it expires."""
        notice = self.notice(delivery)
        if not notice.answerable:
            return None
        # Counted from the sending: a delivery requeued after an outage (or parked for weeks)
        # must not arrive with a link that has already run out.
        expires = max(delivery.recorded_at, self._clock()) + self._ttl
        kind: LinkKind = "cooperation" if notice.kind == "cooperation" else "referral"
        link = Link(kind=kind, subject_id=notice.facts[f"{notice.kind}_id"],
                    institution_id=delivery.institution_id, contact_id=notice.facts.get("contact", {}).get("id"),
                    subscription_id=delivery.subscription_id, delivery_id=delivery.delivery_id, expires=expires)
        return f"{self._public_url}/v1/ack/{sign_link(link, self._link_key)}", expires

    def respond(self, delivery: ClaimedDelivery) -> dict[str, Any] | None:
        """How to answer (link and API), for notices that can be answered."""
        link = self.link(delivery)
        if link is None:
            return None
        return how_to_respond(self.notice(delivery), self._intake_url, *link)

    def email_item(self, delivery: ClaimedDelivery) -> dict[str, Any]:
        """One notice as an email template renders it."""
        link = self.link(delivery)
        return {"type": delivery.event_type, "facts": delivery.facts, "link": link[0] if link else None,
                "link_expires": link[1] if link else None, "intake_url": self._intake_url}


class WebhookCourier:
    """A signed CloudEvent per delivery; `webhook-id` is the event id (the receiver's dedupe key)."""

    def __init__(self, sender: WebhookPort, secrets: WebhookSecrets, composer: Composer) -> None:
        self._sender, self._secrets, self._composer = sender, secrets, composer

    async def deliver(self, batch: list[ClaimedDelivery]) -> SendResult:
        delivery = batch[0]
        if delivery.sealed_secret is None:
            return SendResult(False, "the subscription has no secret")
        secret = self._secrets.open(delivery.subscription_id, delivery.sealed_secret)
        body = webhook_body(self._composer.notice(delivery), self._composer.respond(delivery))
        return await self._sender.send(delivery.target, secret, delivery.event_id, body)


class EmailCourier:
    """One message per delivery, or one per day for a digest subscription."""

    def __init__(self, sender: EmailPort, renderer: EmailRenderer, composer: Composer) -> None:
        self._sender, self._renderer, self._composer = sender, renderer, composer

    async def deliver(self, batch: list[ClaimedDelivery]) -> SendResult:
        subject, text = self._renderer.email(in_time_order([self._composer.email_item(d) for d in batch]))
        return await self._sender.send(batch[0].target, subject, text, message_id=batch[0].delivery_id)
