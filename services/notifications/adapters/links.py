"""What the answer pages read and record: the notice a link answers, its state, its uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from services.notifications.domain.links import Link

from .schema import SCHEMA as S


@dataclass(frozen=True, slots=True)
class Answerable:
    """The cooperation or referral a link answers: what the notice said, where it stands."""

    facts: dict[str, Any]
    state: str | None   # a cooperation's answer (None: unanswered) or a referral's status
    revoked: bool       # the subscription the link was sent to has been deleted


@dataclass(frozen=True, slots=True)
class LinkUse:
    step: str
    action: str
    event: dict[str, Any]
    done: bool


class LinkStore:
    """Port for link pages."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def answerable(self, link: Link) -> Answerable | None:
        """The link's cooperation or referral, if it is the institution's; and whether the
        subscription it was sent to has been deleted since (which revokes the link)."""
        if link.kind == "cooperation":
            sql = f"""SELECT n.facts, c.answer AS state FROM {S}.cooperations c
                      JOIN {S}.notices n ON n.event_id = c.event_id
                      WHERE c.cooperation_id = $1 AND c.institution_id = $2"""
        else:
            sql = f"""SELECT n.facts, r.status AS state FROM {S}.referrals r
                      JOIN {S}.notices n ON n.event_id = r.event_id
                      WHERE r.referral_id = $1 AND r.institution_id = $2"""
        row = await self._pool.fetchrow(
            f"""SELECT a.facts, a.state,
                       NOT EXISTS (SELECT 1 FROM {S}.subscriptions
                                   WHERE subscription_id = $3 AND deleted_at IS NULL) AS revoked
                FROM ({sql}) a""",
            link.subject_id, link.institution_id, link.subscription_id)
        return None if row is None else Answerable(row["facts"], row["state"], row["revoked"])

    async def uses(self, link: Link) -> list[LinkUse]:
        """Every step this link was used for."""
        rows = await self._pool.fetch(
            f"SELECT step, action, event, done FROM {S}.link_uses WHERE delivery_id = $1 ORDER BY used_at",
            link.delivery_id)
        return [LinkUse(**dict(r)) for r in rows]

    async def claim(self, link: Link, use: LinkUse) -> LinkUse:
        """Record the use of a step, or return the use already recorded for it."""
        row = await self._pool.fetchrow(
            f"""INSERT INTO {S}.link_uses (delivery_id, step, action, event) VALUES ($1, $2, $3, $4)
                ON CONFLICT (delivery_id, step) DO NOTHING RETURNING step, action, event, done""",
            link.delivery_id, use.step, use.action, use.event)
        if row is None:  # a use is recorded already (a separate statement sees it once committed)
            row = await self._pool.fetchrow(
                f"SELECT step, action, event, done FROM {S}.link_uses WHERE delivery_id = $1 AND step = $2",
                link.delivery_id, use.step)
            if row is None:  # it was given back in between: try again
                return await self.claim(link, use)
        return LinkUse(**dict(row))

    async def complete(self, link: Link, step: str) -> None:
        """The step's event is in the log."""
        await self._pool.execute(
            f"UPDATE {S}.link_uses SET done = true WHERE delivery_id = $1 AND step = $2", link.delivery_id, step)

    async def forget(self, link: Link, step: str) -> None:
        """Nothing was appended for this step: it may be used again."""
        await self._pool.execute(
            f"DELETE FROM {S}.link_uses WHERE delivery_id = $1 AND step = $2 AND NOT done", link.delivery_id, step)
