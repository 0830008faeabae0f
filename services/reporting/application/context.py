"""What every read needs: the read models, the family keys, and how far the projection has come."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from shared.auth.tokens import Principal
from shared.bus.eventlog import beyond_the_log
from shared.crypto.keystore import FamilyKeys
from shared.roles import Role
from services.reporting.queries import registry

from .errors import BadQuery, NotCaughtUp
from .scope import Scope, scope_of

MAX_WAIT_SECONDS = 5.0


class Progress(Protocol):
    """The projection runner, as reads see it."""

    name: str

    async def wait_for(self, sequence: int, timeout: float) -> bool:
        """Wait (bounded) until everything up to `sequence` is applied."""


@dataclass(frozen=True)
class ReadContext:
    """The ports of every read."""

    pool: asyncpg.Pool
    schema: str
    access_schema: str
    keys: FamilyKeys
    progress: Progress
    wait_seconds: float = MAX_WAIT_SECONDS
    # The log's last sequence: a sequence beyond it can never be reached, so waiting for it
    # would only end in a 503 that invites a useless retry.
    log_head: Callable[[], Awaitable[int]] | None = None

    async def begin(self, principal: Principal, min_sequence: int | None = None,
                    pinned: int | None = None) -> tuple[Scope, int]:
        """The caller's scope and the sequence the read answers as of (see `as_of`).

        The scope is worked out after waiting, so a mediator registered by the write the
        caller waits for is already in it.
        """
        as_of = await self.as_of(min_sequence, pinned)
        return await self.scope(principal), as_of

    async def scope(self, principal: Principal) -> Scope:
        """What this caller may read (a mediator's from their latest registration)."""
        registered = None
        if principal.role is Role.MEDIATOR:
            position = await self.position()
            record = await registry.mediator(self.pool, self.schema, principal.subject, position)
            registered = record.municipality_ids if record else ()
        return scope_of(principal, registered)

    async def position(self) -> int:
        """The last sequence applied to the read models."""
        return await registry.position(self.pool, self.schema, self.progress.name)

    async def as_of(self, min_sequence: int | None = None, pinned: int | None = None) -> int:
        """The sequence a read answers as of: the current position, after waiting for
        `min_sequence` if asked; or exactly `pinned` (a cursor's, or `as_of_sequence`)."""
        wanted = max(min_sequence or 0, pinned or 0)
        if wanted and self.log_head is not None and wanted > await self.position() \
                and (unwritten := await beyond_the_log(self.log_head, wanted)):
            raise BadQuery("as_of_sequence" if wanted == pinned else "min_sequence", unwritten)
        if wanted and not await self.progress.wait_for(wanted, self.wait_seconds):
            raise NotCaughtUp(f"the read models have not reached sequence {wanted} yet")
        position = await self.position()
        if pinned is not None:
            if pinned > position:
                raise BadQuery("as_of_sequence", f"the read models are at {position}, not yet at {pinned}")
            return pinned
        return position
