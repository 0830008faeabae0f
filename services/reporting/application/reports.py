"""Summary, monthly and evaluations reports, computed from the read models as of a sequence.

A summary as of the projection's position (the usual, live case) adds up monthly tallies, read
in one snapshot with that position; as of an earlier sequence (reproducing what a report said)
it counts the facts with `sequence <= as_of`. A monthly report counts one mediator's facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from services.reporting.projections.projection import PROJECTION_NAME
from services.reporting.queries import ledger, registry
from services.reporting.queries.evaluations import EvaluationFilter, evaluation_rows
from services.reporting.queries.figures import FigureFilter, figure_rows
from services.reporting.queries.ledger import LedgerFilter
from services.reporting.queries.live_figures import live_figure_rows
from services.reporting.queries.reports import report_steps

from .evaluations import evaluation_report
from .figures import FigureRows, by_municipality
from .ledger import cooperation_item, referral_item
from .monthly import ReportState, monthly_report, report_state
from .periods import Period

WORK_MEM = "32MB"


async def _summary_rows(pool: asyncpg.Pool, schema: str, period: Period, as_of: int | None,
                        within: frozenset[str] | None) -> tuple[FigureRows, int]:
    """The counts as of `as_of` (None: now), and that sequence.

    As of the projection's position, monthly tallies read in one snapshot with the position
    answer; as of an earlier sequence, the facts are counted.
    """
    async with pool.acquire() as connection, connection.transaction(isolation="repeatable_read", readonly=True):
        await connection.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")  # sort and hash tens of thousands of rows
        position = await registry.position(connection, schema, PROJECTION_NAME)
        if as_of is None or as_of == position:
            return await live_figure_rows(connection, schema, period, position, within), position
    if as_of > position:
        raise ValueError(f"the read models are at {position}, not yet at {as_of}")
    return await figure_rows(pool, schema, FigureFilter(period.first_day, period.last_day, as_of, within)), as_of


async def summary(pool: asyncpg.Pool, schema: str, period: Period, as_of: int | None,
                  within: frozenset[str] | None, municipality_id: str | None = None) -> dict[str, Any]:
    """Figures per municipality (those `within`, or all) and in total, for a period, as of `as_of` (None: now)."""
    rows, as_of = await _summary_rows(pool, schema, period, as_of, within)
    head: dict[str, Any] = {"from": period.first_day.isoformat(), "to": period.last_day.isoformat(),
                            "as_of_sequence": as_of}
    if municipality_id is not None:
        head["municipality_id"] = municipality_id
    places = await registry.places(pool, schema, as_of, within)
    names = await registry.institution_names(pool, schema, rows.institutions())
    return {**head, **by_municipality(rows, places, names)}


async def _mediator_figures(pool: asyncpg.Pool, schema: str, mediator_id: str, period: Period,
                            as_of: int, scope: frozenset[str] | None, registered: frozenset[str]) -> dict[str, Any]:
    """A mediator's own figures, per municipality they were `registered` for (or worked in) and in
    total; only those in `scope` (None: all), the total counting only their work too."""
    rows = await figure_rows(pool, schema, FigureFilter(period.first_day, period.last_day, as_of, scope,
                                                        mediator_id=mediator_id))
    within = registered | rows.municipalities()
    places = await registry.places(pool, schema, as_of, within if scope is None else within & scope)
    names = await registry.institution_names(pool, schema, rows.institutions())
    return by_municipality(rows, places, names)


async def _month_cooperations(pool: asyncpg.Pool, schema: str, mediator_id: str, period: Period, as_of: int,
                              scope: frozenset[str] | None) -> list[dict[str, Any]]:
    """The mediator's cooperations in the month as the ledger lists them as of `as_of` (those in
    `scope` only), without the family or case: a report names the institution and the person the
    mediator worked with, never whom the work was for."""
    which = LedgerFilter(as_of, municipalities=scope, mediator_id=mediator_id, since=period.starts(),
                         before=period.ends())
    return [cooperation_item(row, with_family=False) for row in await ledger.every_cooperation(pool, schema, which)]


async def _month_referrals(pool: asyncpg.Pool, schema: str, mediator_id: str, period: Period, as_of: int,
                           scope: frozenset[str] | None) -> list[dict[str, Any]]:
    """The referrals the mediator made in the month and how far each has gone as of `as_of` (those
    in `scope` only): the institution and the service, never the family or case."""
    which = LedgerFilter(as_of, municipalities=scope, mediator_id=mediator_id, since=period.starts(),
                         before=period.ends())
    return [referral_item(row, with_family=False) for row in await ledger.referrals(pool, schema, which, None, None)]


@dataclass(frozen=True)
class Month:
    """What a mediator's month rests on as of a sequence: who, where the report stands, and the
    municipalities of the registration it was written under (as of its submission, or as of now
    for a month not submitted: a mediator registered elsewhere since leaves it where they were)."""

    mediator_id: str
    mediator_name: str
    month: str
    as_of: int
    state: ReportState
    registered: frozenset[str]


async def month_of(pool: asyncpg.Pool, schema: str, mediator_id: str, month: str, as_of: int) -> Month | None:
    """The mediator's month as of `as_of` (None if no such mediator then)."""
    mediator = await registry.mediator(pool, schema, mediator_id, as_of)
    if mediator is None:
        return None
    state = report_state(await report_steps(pool, schema, mediator_id, month, as_of))
    written_under = (mediator if state.submitted_sequence is None
                     else await registry.mediator(pool, schema, mediator_id, state.submitted_sequence))
    return Month(mediator_id, mediator.name, month, as_of, state,
                 frozenset(written_under.municipality_ids if written_under else ()))


async def monthly_within(pool: asyncpg.Pool, schema: str, month: Month, scope: frozenset[str]) -> bool:
    """Whether a coordinator of `scope` may read the month's report: it was written under a
    registration in their municipalities, or part of the month's work was done there."""
    if month.registered & scope:
        return True
    period = Period.of_month(month.month)
    rows = await figure_rows(pool, schema, FigureFilter(period.first_day, period.last_day, month.as_of, scope,
                                                        mediator_id=month.mediator_id))
    return bool(rows.municipalities())


async def monthly(pool: asyncpg.Pool, schema: str, mediator_id: str, month: str, as_of: int,
                  scope: frozenset[str] | None = None) -> dict[str, Any] | None:
    """The mediator's report for a month (None if no such mediator as of `as_of`); see `monthly_of`."""
    basis = await month_of(pool, schema, mediator_id, month, as_of)
    return None if basis is None else await monthly_of(pool, schema, basis, scope)


async def monthly_of(pool: asyncpg.Pool, schema: str, month: Month,
                     scope: frozenset[str] | None = None) -> dict[str, Any]:
    """The mediator's report for a month.

    Its `cooperations_list` and `referrals_list` are as of `as_of` (the ledger now), whatever the
    figures are as of.
    Its sections are the municipalities of the registration it was written under and those where
    the month's work was done, alike for the figures as submitted and as now. With a `scope` (a
    coordinator's municipalities), the figures are those of the mediator's work there only, and
    `figures_limited_to` says so.
    """
    mediator_id, as_of, state, registered = month.mediator_id, month.as_of, month.state, month.registered
    period = Period.of_month(month.month)
    figures = await _mediator_figures(pool, schema, mediator_id, period, state.submitted_sequence or as_of, scope,
                                      registered)
    live = (await _mediator_figures(pool, schema, mediator_id, period, as_of, scope, registered)
            if state.submitted else None)
    cooperations = await _month_cooperations(pool, schema, mediator_id, period, as_of, scope)
    referrals = await _month_referrals(pool, schema, mediator_id, period, as_of, scope)
    report = monthly_report(mediator_id=mediator_id, mediator_name=month.mediator_name, month=month.month,
                            as_of=as_of, state=state, figures=figures, live=live, cooperations_list=cooperations,
                            referrals_list=referrals)
    if scope is not None and not registered <= scope:
        report["figures_limited_to"] = sorted(m["municipality_id"] for m in report["municipalities"])
    return report


async def evaluations(pool: asyncpg.Pool, schema: str, which: EvaluationFilter,
                      extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Institutions' evaluations made on `which` days, as of `which.as_of`; `extra` joins the head
    (the filters asked for, and what the figures are limited to)."""
    head = {"from": which.first_day.isoformat(), "to": which.last_day.isoformat(), "as_of_sequence": which.as_of,
            **(extra or {})}
    return evaluation_report(head, await evaluation_rows(pool, schema, which))
