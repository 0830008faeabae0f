"""Reading deliveries (who was told what, and how it went) and requeueing one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from shared.auth.tokens import Principal
from shared.roles import Role
from services.notifications.adapters.deliveries import DeliveryStore
from services.notifications.domain import access
from services.notifications.domain.backoff import DeliveryStatus
from services.notifications.domain.refusals import Refusal, conflict, forbidden, invalid, not_found

log = structlog.get_logger(__name__)

MAX_LIMIT = 1000
MAX_CURSOR_DIGITS = 18  # a cursor is a row number (a PostgreSQL bigint): more digits cannot be one


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def delivery_json(row: dict[str, Any]) -> dict[str, Any]:
    """The public form of a delivery."""
    return {"id": row["delivery_id"], "event_id": row["event_id"], "event_type": row["event_type"],
            "subscription_id": row["subscription_id"], "institution_id": row["institution_id"],
            "channel": row["channel"], "status": row["status"], "attempts": row["attempts"],
            "last_error": row["last_error"], "next_attempt_at": _iso(row["next_attempt_at"]),
            "delivered_at": _iso(row["delivered_at"]), "created_at": _iso(row["created_at"])}


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    items: list[dict[str, Any]]
    next: str | None


class Deliveries:
    """Deliveries as their institution (or an admin) sees them."""

    def __init__(self, store: DeliveryStore) -> None:
        self._store = store

    async def list(self, principal: Principal, institution_id: str | None, status: str | None, limit: int,
                   cursor: str | None) -> DeliveryPage | Refusal:
        """Newest first; `cursor` is the `next` of the previous page."""
        scoped = access.scope(principal, institution_id)
        if isinstance(scoped, Refusal):
            return scoped
        # status and limit come checked by the HTTP edge (their documented shapes: a status, 1..MAX_LIMIT)
        if cursor is not None and not (cursor.isascii() and cursor.isdigit() and len(cursor) <= MAX_CURSOR_DIGITS):
            return invalid("query.cursor", "pass the `next` value of the previous page")
        rows = await self._store.list(scoped, status, limit, int(cursor) if cursor else None)
        more = str(rows[-1]["number"]) if len(rows) == limit else None
        return DeliveryPage([delivery_json(r) for r in rows], more)

    async def requeue(self, principal: Principal, delivery_id: str) -> dict[str, Any] | Refusal:
        """Try a delivery again now, with a fresh set of attempts (admin only)."""
        if principal.role is not Role.ADMIN:
            return forbidden("only an admin may requeue deliveries")
        row = await self._store.get(delivery_id)
        if row is None:
            return not_found(f"no delivery {delivery_id}")
        if row["status"] == DeliveryStatus.CANCELLED:
            return conflict("its subscription was deleted: the delivery is cancelled")
        if row["status"] == DeliveryStatus.DELIVERED:
            return conflict("it was delivered; only a delivery that failed or was parked is tried again")
        if row["in_flight"]:
            return conflict("the delivery is being sent right now")
        if not await self._store.requeue(delivery_id):
            return conflict("the delivery changed meanwhile; look at it again")
        log.info("delivery.requeued", delivery_id=delivery_id, by=principal.subject)
        return delivery_json(await self._store.get(delivery_id) or row)
