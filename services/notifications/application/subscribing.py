"""Subscribing: who may subscribe, to what, where; the webhook secret shown once."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from shared.auth.tokens import Principal
from services.notifications.adapters.keys import WebhookSecrets
from services.notifications.adapters.subscriptions import SubscriptionStore
from services.notifications.domain import access
from services.notifications.domain.refusals import Refusal, invalid, not_found, unavailable
from services.notifications.domain.subscriptions import (EMAIL_ORIGIN, Subscription, SubscriptionRequest,
                                                         check_target)
from services.notifications.domain.targets import Refused, Target

from .vetting import Resolver, vet

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Subscribed:
    """A new subscription, and its webhook secret (shown this once, never again)."""

    subscription: Subscription
    secret: str | None


class LogUnavailable(RuntimeError):
    """The event log could not tell its head: a subscription cannot say where it starts."""


class Subscriptions:
    """Creates, lists and ends subscriptions."""

    def __init__(self, store: SubscriptionStore, secrets: WebhookSecrets, resolver: Resolver, *,
                 allow_private: bool, log_head: Callable[[], Awaitable[int]],
                 catch_up: Callable[[int], Awaitable[bool]]) -> None:
        self._store, self._secrets, self._resolver = store, secrets, resolver
        self._allow_private = allow_private
        self._log_head = log_head   # the last sequence in the log
        self._catch_up = catch_up   # wait (bounded) for the fan-out to reach a sequence

    async def subscribe(self, principal: Principal, request: SubscriptionRequest) -> Subscribed | Refusal:
        """Subscribe an institution's address to its notices, from now on."""
        if refusal := access.may_act_for(principal, request.institution_id):
            return refusal
        target = await self._checked_target(request)
        if isinstance(target, Refusal):
            return target
        try:
            head = await self._log_head()
        except Exception as error:
            log.warning("subscription.log_unavailable", error=type(error).__name__)
            return unavailable("the event log is unavailable; try again")
        if not await self._institution_known(request.institution_id, head):
            return not_found(f"no institution {request.institution_id}")
        subscription = Subscription(
            id=f"sub-{uuid.uuid4()}", institution_id=request.institution_id, channel=request.channel,
            target=target if isinstance(target, str) else request.target, event_types=request.types,
            digest=request.digest, created_at=datetime.now(UTC), created_by=principal.subject)
        secret = self._secrets.generate() if request.channel == "webhook" else None
        sealed = self._secrets.seal(subscription.id, secret) if secret else None
        origin = target.origin if isinstance(target, Target) else EMAIL_ORIGIN
        from_sequence = await self._store.add(subscription, origin, sealed, not_before=head)
        log.info("subscription.created", subscription_id=subscription.id, institution_id=subscription.institution_id,
                 channel=subscription.channel, from_sequence=from_sequence)
        return Subscribed(subscription, secret)

    async def list(self, principal: Principal, institution_id: str | None) -> list[Subscription] | Refusal:
        """The live subscriptions the caller may see."""
        scoped = access.scope(principal, institution_id)
        if isinstance(scoped, Refusal):
            return scoped
        return await self._store.list(scoped)

    async def get(self, principal: Principal, subscription_id: str) -> Subscription | Refusal:
        """One live subscription the caller may see."""
        subscription = await self._store.get(subscription_id)
        if subscription is None or not access.may_see(principal, subscription.institution_id):
            return not_found(f"no subscription {subscription_id} that you may see")
        return subscription

    async def delete(self, principal: Principal, subscription_id: str) -> Refusal | None:
        """End a subscription; what it has not delivered yet is cancelled."""
        found = await self.get(principal, subscription_id)
        if isinstance(found, Refusal):
            return found
        if not await self._store.delete(subscription_id):
            return not_found(f"no subscription {subscription_id} that you may see")
        log.info("subscription.deleted", subscription_id=subscription_id, institution_id=found.institution_id)
        return None

    async def _checked_target(self, request: SubscriptionRequest) -> Target | Refusal | str:
        target = check_target(request, self._allow_private)
        if isinstance(target, Refused):
            return invalid("target", target.reason)
        if isinstance(target, Target):
            vetted = await vet(target, self._resolver, self._allow_private)
            if isinstance(vetted, Refused):
                return invalid("target", vetted.reason)
        return target

    async def _institution_known(self, institution_id: str, head: int) -> bool:
        """Known to the fan-out, or becomes known once it has read the log up to its head."""
        if await self._store.institution_exists(institution_id):
            return True
        return await self._catch_up(head) and await self._store.institution_exists(institution_id)
