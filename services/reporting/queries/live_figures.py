"""The live summary's counts: monthly tallies for whole months, facts for the days at either end
(and for referrals, which have no tallies, over the whole period).

Run inside one REPEATABLE READ snapshot together with reading the projection's position: the
runner commits facts, tallies and position in one transaction, so what the snapshot sees is
exactly the log up to that position. Answers the same `FigureRows` as `queries/figures.py`
(tests hold the two to the same figures), in a fraction of the time over long periods.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import asyncpg

from services.reporting.application.figures import FigureRows
from services.reporting.application.periods import Period

from .figures import referral_steps
from .sql import Params, qualified


@dataclass(frozen=True)
class _Span:
    """Whole months, the stretches of days around them, and the scope, of one live summary."""

    period: Period
    months: list[date]
    edges: list[Period]
    as_of: int
    within: frozenset[str] | None

    def scope(self, p: Params) -> str:
        return f" AND municipality_id = ANY({p.add(sorted(self.within))}::text[])" if self.within is not None else ""

    def tallies(self, p: Params, select: str, table: str, tail: str = "") -> str | None:
        if not self.months:
            return None
        months = p.add(self.months)
        return f"SELECT {select} FROM {{s}}.{table} WHERE month = ANY({months}::date[]){self.scope(p)} {tail}"

    def facts(self, p: Params, select: str, table: str, tail: str = "") -> str | None:
        if not self.edges:
            return None
        days = " OR ".join(f"local_date BETWEEN {p.add(e.first_day)} AND {p.add(e.last_day)}" for e in self.edges)
        known = f"sequence <= {p.add(self.as_of)}"
        return f"SELECT {select} FROM {{s}}.{table} WHERE ({days}) AND {known}{self.scope(p)} {tail}"

    def persons(self, p: Params) -> str | None:
        if not self.months:
            return None
        masks: dict[int, int] = defaultdict(int)
        for month in self.months:
            masks[month.year] |= 1 << (month.month - 1)
        return (f"SELECT municipality_id, family_id, person_id FROM {{s}}.year_persons p"
                f" JOIN unnest({p.add(list(masks))}::int[], {p.add(list(masks.values()))}::int[]) AS y(year, mask)"
                f" ON p.year = y.year AND p.months & y.mask <> 0 WHERE true{self.scope(p)}")


def _union(*parts: str | None) -> str | None:
    present = [part for part in parts if part]
    return " UNION ALL ".join(f"({part})" for part in present) or None


def _families(span: _Span, p: Params) -> str | None:
    days = span.facts(p, "DISTINCT municipality_id, family_id, local_date", "family_days")
    per_month = _union(
        span.tallies(p, "municipality_id, family_id, bit_count(days::bit(32))::int AS n", "month_families"),
        days and f"SELECT municipality_id, family_id, count(*)::int AS n FROM ({days}) d GROUP BY 1, 2")
    return per_month and ("SELECT municipality_id, array_agg(n) FROM (SELECT municipality_id, family_id,"
                          f" sum(n)::int AS n FROM ({per_month}) m GROUP BY 1, 2) f GROUP BY 1")


def _persons(span: _Span, p: Params) -> str | None:
    named = _union(span.persons(p), span.facts(p, "municipality_id, family_id, person_id", "person_days"))
    return named and ("SELECT municipality_id, count(*)::int FROM"
                      f" (SELECT DISTINCT municipality_id, family_id, person_id FROM ({named}) x) y GROUP BY 1")


def _mediators(span: _Span, p: Params) -> str | None:
    active = _union(span.tallies(p, "municipality_id, mediator_id", "month_mediators"),
                    span.facts(p, "municipality_id, mediator_id", "mediator_days"))
    return active and f"SELECT DISTINCT municipality_id, mediator_id FROM ({active}) x"


def _activities(span: _Span, p: Params) -> str | None:
    return _union(
        span.tallies(p, "municipality_id, kind, domain, sum(n)::int, sum(participants)::int", "month_activities",
                     "GROUP BY 1, 2, 3"),
        span.facts(p, "municipality_id, kind, domain, count(*)::int, coalesce(sum(participants), 0)::int",
                   "activities", "GROUP BY 1, 2, 3"))


def _cooperations(span: _Span, p: Params) -> str | None:
    return _union(
        span.tallies(p, "municipality_id, institution_id, domain, sum(n)::int, sum(acknowledged)::int, "
                        "sum(disputed)::int", "month_cooperations", "GROUP BY 1, 2, 3"),
        span.facts(p, "municipality_id, institution_id, domain, count(*)::int, "
                      "(count(*) FILTER (WHERE answer = 'acknowledged'))::int, "
                      "(count(*) FILTER (WHERE answer = 'disputed'))::int", "cooperations", "GROUP BY 1, 2, 3"))


def _outcomes(span: _Span, p: Params) -> str | None:
    return _union(span.tallies(p, "municipality_id, kind, sum(n)::int", "month_outcomes", "GROUP BY 1, 2"),
                  span.facts(p, "municipality_id, kind, count(*)::int", "outcomes", "GROUP BY 1, 2"))


def _referrals(span: _Span, p: Params) -> str:
    # Referrals are few beside the other work, and each one's steps can come months later: counted
    # from their rows over the whole period rather than kept in monthly tallies.
    first, last, as_of = p.add(span.period.first_day), p.add(span.period.last_day), p.add(span.as_of)
    return (f"SELECT municipality_id, institution_id, count(*)::int, {referral_steps(as_of)} FROM {{s}}.referrals"
            f" WHERE local_date BETWEEN {first} AND {last} AND sequence <= {as_of}{span.scope(p)} GROUP BY 1, 2")


FIGURES = {"family_days": _families, "persons": _persons, "mediators": _mediators, "activities": _activities,
           "cooperations": _cooperations, "outcomes": _outcomes, "referrals": _referrals}


async def live_figure_rows(connection: asyncpg.Connection, schema: str, period: Period, as_of: int,
                           within: frozenset[str] | None) -> FigureRows:
    """Every count a summary needs, read on one connection (inside the caller's snapshot)."""
    months, edges = period.whole_months()
    span = _Span(period, months, edges, as_of, within)
    results: dict[str, list[tuple]] = {}
    for name, figure in FIGURES.items():
        p = Params()
        sql = figure(span, p)
        records = await connection.fetch(qualified(sql, schema), *p.values) if sql else []
        results[name] = [tuple(r.values()) for r in records]
    return FigureRows(**results)
