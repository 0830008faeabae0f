"""The counting queries behind every report: small grouped results that `application/figures.py` composes.

Each query filters by Riga day, by `sequence <= as_of` (so the answer is what the log said at
that point), by municipalities in scope and optionally by one mediator.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

import asyncpg

from services.reporting.application.figures import REFERRAL_STEPS, FigureRows

from .sql import Params, qualified


@dataclass(frozen=True)
class FigureFilter:
    """Which facts a report counts."""

    first_day: date
    last_day: date
    as_of: int
    municipalities: frozenset[str] | None = None  # None: all
    mediator_id: str | None = None

    def where(self, alias: str = "") -> tuple[str, list[object]]:
        """A WHERE clause over a fact or roll-up table, and its parameters."""
        p = Params(self.first_day, self.last_day, self.as_of)
        a = f"{alias}." if alias else ""
        clauses = [f"{a}local_date BETWEEN $1 AND $2", f"{a}sequence <= $3"]
        if self.municipalities is not None:
            clauses.append(f"{a}municipality_id = ANY({p.add(sorted(self.municipalities))}::text[])")
        if self.mediator_id is not None:
            clauses.append(f"{a}mediator_id = {p.add(self.mediator_id)}")
        return " AND ".join(clauses), p.values


_FAMILY_DAYS = """SELECT municipality_id, array_agg(days) FROM (
                      SELECT municipality_id, family_id, count(*)::int AS days FROM (
                          SELECT DISTINCT municipality_id, family_id, local_date FROM {s}.family_days WHERE {where}) d
                      GROUP BY 1, 2) f
                  GROUP BY 1"""
_PERSONS = """SELECT municipality_id, count(*)::int AS persons FROM (
                  SELECT DISTINCT municipality_id, family_id, person_id FROM {s}.person_days WHERE {where}) p
              GROUP BY 1"""
_MEDIATORS = "SELECT DISTINCT municipality_id, mediator_id FROM {s}.mediator_days WHERE {where}"
_ACTIVITIES = """SELECT municipality_id, kind, domain, count(*)::int AS n, coalesce(sum(participants), 0)::int
                 FROM {s}.activities WHERE {where} GROUP BY 1, 2, 3"""
_COOPERATIONS = """SELECT municipality_id, institution_id, domain, count(*)::int AS n,
                          (count(*) FILTER (WHERE answer = 'acknowledged' AND answer_sequence <= $3))::int,
                          (count(*) FILTER (WHERE answer = 'disputed' AND answer_sequence <= $3))::int
                   FROM {s}.cooperations WHERE {where}
                   GROUP BY 1, 2, 3"""
_OUTCOMES = "SELECT municipality_id, kind, count(*)::int AS n FROM {s}.outcomes WHERE {where} GROUP BY 1, 2"


def referral_steps(as_of: str) -> str:
    """How many referrals the institutions had accepted, completed and declined by `as_of` (a parameter)."""
    return ", ".join(f"(count(*) FILTER (WHERE {step}_sequence <= {as_of}))::int" for step in REFERRAL_STEPS)


_REFERRALS = ("SELECT municipality_id, institution_id, count(*)::int, " + referral_steps("$3")
              + " FROM {s}.referrals WHERE {where} GROUP BY 1, 2")


async def _rows(pool: asyncpg.Pool, schema: str, template: str, which: FigureFilter) -> list[tuple]:
    where, params = which.where()
    records = await pool.fetch(qualified(template, schema).replace("{where}", where), *params)
    return [tuple(record.values()) for record in records]


async def figure_rows(pool: asyncpg.Pool, schema: str, which: FigureFilter) -> FigureRows:
    """Every count a report needs, queried side by side on separate connections."""
    results = await asyncio.gather(*(_rows(pool, schema, template, which) for template in
                                     (_FAMILY_DAYS, _PERSONS, _MEDIATORS, _ACTIVITIES, _COOPERATIONS, _OUTCOMES,
                                      _REFERRALS)))
    return FigureRows(*results)
