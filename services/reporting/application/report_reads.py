"""Reading reports within scope: summaries per municipality, mediators' monthly reports.

Institutions read no reports. A mediator reads their own monthly report and summaries of
their municipalities; a coordinator the reports of mediators working in theirs.
"""

from __future__ import annotations

from typing import Any

from shared.auth.tokens import Principal
from shared.roles import Role
from services.reporting.queries import registry

from . import reports
from .context import ReadContext
from .errors import NotAllowed, NotVisible
from .periods import Period


async def read_summary(ctx: ReadContext, principal: Principal, period: Period, municipality_id: str | None, *,
                       as_of_sequence: int | None, min_sequence: int | None) -> dict[str, Any]:
    """Figures per municipality in scope (or the one asked for) and in total."""
    scope, as_of = await ctx.begin(principal, min_sequence, as_of_sequence)
    if scope.is_institution:
        raise NotAllowed("an institution reads its own cooperations and referrals, not reports")
    within = scope.municipalities
    if municipality_id is not None:
        if not scope.covers(municipality_id):
            raise NotAllowed(f"municipality {municipality_id} is outside your scope")
        within = frozenset({municipality_id})
    if municipality_id is not None and not await registry.places(ctx.pool, ctx.schema, as_of, within):
        raise NotVisible("municipality", municipality_id)
    # Unpinned, the summary is as of whatever the projection has reached by then (at least `as_of`).
    report = await reports.summary(ctx.pool, ctx.schema, period, as_of_sequence, within, municipality_id)
    if municipality_id is None and within is not None:
        # a scoped caller's summary (and its total) covers their municipalities only: say so
        report = {**report, "figures_limited_to": sorted(within)}
    return report


async def read_monthly(ctx: ReadContext, principal: Principal, mediator_id: str, month: str, *,
                       as_of_sequence: int | None, min_sequence: int | None) -> dict[str, Any]:
    """A mediator's report for a month: figures, status and narrative."""
    scope, as_of = await ctx.begin(principal, min_sequence, as_of_sequence)
    if scope.is_institution:
        raise NotAllowed("an institution reads its own cooperations and referrals, not reports")
    if scope.role is Role.MEDIATOR and mediator_id != scope.subject:
        raise NotAllowed("a mediator reads their own monthly reports")
    mediator = await registry.mediator(ctx.pool, ctx.schema, mediator_id, as_of)
    if mediator is None:
        raise NotVisible("mediator", mediator_id)
    if scope.municipalities is not None and scope.role is not Role.MEDIATOR \
            and not await reports.monthly_within(ctx.pool, ctx.schema, mediator_id, month, as_of, scope.municipalities):
        raise NotAllowed(f"mediator {mediator_id} did not work in your municipalities that month")
    # A mediator reads all of their own report (or the part a token narrowed to some municipalities
    # names); a coordinator the figures of their municipalities.
    narrowed = scope.role is Role.MEDIATOR and bool(principal.municipalities)
    within = scope.municipalities if scope.role is Role.COORDINATOR or narrowed else None
    report = await reports.monthly(ctx.pool, ctx.schema, mediator_id, month, as_of, within)
    if report is None:
        raise NotVisible("mediator", mediator_id)
    return report
