"""Reading reach: which institutions have been told of what concerns them (domain/reach.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from shared.auth.tokens import Principal
from shared.bus.eventlog import beyond_the_log
from services.notifications.adapters.reach import ReachStore
from services.notifications.domain.reach import reach_json, reach_scope
from services.notifications.domain.refusals import Refusal, invalid, unavailable


@dataclass(frozen=True, slots=True)
class ReachPage:
    items: list[dict[str, Any]]
    as_of_sequence: int
    next: str | None


class Reach:
    """Per institution: subscriptions, and its cooperations and referrals told, answered, untold."""

    def __init__(self, store: ReachStore, position: Callable[[], int],
                 catch_up: Callable[[int], Awaitable[bool]], log_head: Callable[[], Awaitable[int]]) -> None:
        self._store = store
        self._position = position  # how far the fan-out has read the log
        self._catch_up = catch_up  # wait (bounded) until the fan-out has read that far
        self._log_head = log_head  # the log's last sequence: nothing beyond it can be waited for

    async def list(self, principal: Principal, municipality_id: str | None, institution_id: str | None,
                   limit: int, cursor: str | None, min_sequence: int | None = None) -> ReachPage | Refusal:
        """By institution id; `cursor` is the `next` of the previous page (an institution id).

        `min_sequence` (a sequence a write returned) waits until the fan-out has read that far.
        """
        if min_sequence is not None and min_sequence > self._position():
            if unwritten := await beyond_the_log(self._log_head, min_sequence):
                return invalid("query.min_sequence", unwritten)
            if not await self._catch_up(min_sequence):
                return unavailable(f"notifications have not read the log up to sequence {min_sequence} yet")
        home = await self._store.home_of(institution_id) if institution_id is not None else None
        scope = reach_scope(principal, municipality_id, institution_id, home)
        if isinstance(scope, Refusal):
            return scope
        as_of = self._position()  # read first: the figures are at least this fresh
        rows = await self._store.list(scope, limit, cursor)
        more = rows[-1]["institution_id"] if len(rows) == limit else None
        return ReachPage([reach_json(r) for r in rows], as_of, more)
