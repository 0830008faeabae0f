"""Reading reports within scope: summaries per municipality, mediators' monthly reports,
institutions' evaluations of mediators.

Institutions read no reports. A mediator reads their own monthly report, summaries of their
municipalities and the evaluations of their own work; a coordinator the reports of mediators
working in theirs and the evaluations made by institutions there.
"""

from __future__ import annotations

from typing import Any

from shared.auth.tokens import Principal
from shared.roles import Role
from services.reporting.queries import registry
from services.reporting.queries.evaluations import EvaluationFilter

from . import reports
from .context import ReadContext
from .errors import NotAllowed, NotVisible
from .periods import Period
from .scope import Scope


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
    basis = await reports.month_of(ctx.pool, ctx.schema, mediator_id, month, as_of)
    if basis is None:
        raise NotVisible("mediator", mediator_id)
    if scope.municipalities is not None and scope.role is not Role.MEDIATOR \
            and not await reports.monthly_within(ctx.pool, ctx.schema, basis, scope.municipalities):
        raise NotAllowed(f"mediator {mediator_id} did not work in your municipalities that month")
    # A mediator reads all of their own report (or the part a token narrowed to some municipalities
    # names); a coordinator the figures of their municipalities.
    narrowed = scope.role is Role.MEDIATOR and bool(principal.municipalities)
    within = scope.municipalities if scope.role is Role.COORDINATOR or narrowed else None
    return await reports.monthly_of(ctx.pool, ctx.schema, basis, within)


def _evaluations_in_scope(scope: Scope, principal: Principal, mediator_id: str | None
                          ) -> tuple[frozenset[str] | None, str | None]:
    """The institutions' municipalities (None: all) and the mediator whose evaluations the caller reads."""
    if scope.is_institution:
        raise NotAllowed("an institution reads its own cooperations and referrals, not reports")
    if scope.role is not Role.MEDIATOR:
        return scope.municipalities, mediator_id
    if mediator_id not in (None, scope.subject):
        raise NotAllowed("a mediator reads the evaluations of their own work")
    return (frozenset(principal.municipalities) if principal.municipalities else None), scope.subject


async def read_evaluations(ctx: ReadContext, principal: Principal, period: Period, municipality_id: str | None,
                           mediator_id: str | None, *, as_of_sequence: int | None,
                           min_sequence: int | None) -> dict[str, Any]:
    """Institutions' evaluations made in the period: tallies per question, texts, per mediator.

    An evaluation belongs to the municipality of the institution that made it. A coordinator
    reads those made in their municipalities (about any mediator: naming one narrows the answer,
    it is never refused); a mediator those about their own work, wherever the institution is
    (unless the token narrows them to some municipalities).
    """
    scope, as_of = await ctx.begin(principal, min_sequence, as_of_sequence)
    within, mediator_id = _evaluations_in_scope(scope, principal, mediator_id)
    place = None
    if municipality_id is not None:
        if within is not None and municipality_id not in within:
            raise NotAllowed(f"municipality {municipality_id} is outside your scope")
        if not (places := await registry.places(ctx.pool, ctx.schema, as_of, frozenset({municipality_id}))):
            raise NotVisible("municipality", municipality_id)
        place = places[0]
    if mediator_id is not None and await registry.mediator(ctx.pool, ctx.schema, mediator_id, as_of) is None:
        raise NotVisible("mediator", mediator_id)
    head: dict[str, Any] = {}
    if place is not None:
        head |= {"municipality_id": place.municipality_id, "municipality_name": place.name}
    if mediator_id is not None:
        head["mediator_id"] = mediator_id
    if municipality_id is None and within is not None:
        head["figures_limited_to"] = sorted(within)  # as on the summary: a scoped caller's answer says so
    return await reports.evaluations(ctx.pool, ctx.schema, EvaluationFilter(
        period.first_day, period.last_day, as_of, within, municipality_id, mediator_id), head)
