"""Listing the access log of family file reads (auditors and admins)."""

from __future__ import annotations

from typing import Any

from shared.auth.tokens import Principal
from shared.roles import Role
from services.reporting.queries import access_log
from services.reporting.queries.access_log import ReadsFilter

from .context import ReadContext
from .paging import PageRequest, cursor_key, page


def read_item(r: Any) -> dict[str, Any]:
    """One recorded read."""
    return {"id": r["id"], "at": r["at"].isoformat(), "actor": r["actor"], "role": r["role"],
            "family_id": r["family_id"], "reason": r["reason"], "personal_shown": r["personal_shown"],
            "status": r["status"], "as_of_sequence": r["as_of_sequence"]}


async def list_reads(ctx: ReadContext, principal: Principal, which: ReadsFilter, request: PageRequest, *,
                     min_sequence: int | None) -> dict[str, Any]:
    """Recorded family file reads, oldest first."""
    scope, as_of = await ctx.begin(principal, min_sequence, request.as_of)
    scope.require(Role.AUDITOR, Role.ADMIN)
    after = cursor_key(request, int)
    rows = await access_log.reads(ctx.pool, ctx.access_schema, which, after[0] if after else None, request.limit + 1)
    return page(rows, request, as_of, key=lambda r: [r["id"]], item=read_item)
