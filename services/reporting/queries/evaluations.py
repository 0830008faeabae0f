"""Institutions' evaluations of mediators, as of a sequence, for a period of Riga days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import asyncpg

from .sql import Params, qualified

_EVALUATIONS = """
    SELECT x.evaluation_id, x.sequence, x.time, x.local_date, x.municipality_id, x.institution_id,
           i.name AS institution_name, x.mediator_id, m.display_name AS mediator_name, x.domain, x.answers
    FROM {s}.evaluations x
    LEFT JOIN {s}.institutions i ON i.institution_id = x.institution_id
    LEFT JOIN LATERAL (
        SELECT display_name FROM {s}.mediator_registrations r
        WHERE r.mediator_id = x.mediator_id AND r.sequence <= $3 ORDER BY r.sequence DESC LIMIT 1) m ON true"""


@dataclass(frozen=True)
class EvaluationFilter:
    """Which evaluations a report holds: submitted (by event `time`) on these Riga days, up to `as_of`."""

    first_day: date
    last_day: date
    as_of: int
    municipalities: frozenset[str] | None = None  # the institutions' municipalities; None: all
    municipality_id: str | None = None
    mediator_id: str | None = None


async def evaluation_rows(pool: asyncpg.Pool, schema: str, which: EvaluationFilter) -> list[asyncpg.Record]:
    """The evaluations in time order (then by id): few per institution and season, so all of them."""
    p = Params(which.first_day, which.last_day, which.as_of)
    clauses = ["x.local_date BETWEEN $1 AND $2", "x.sequence <= $3"]
    if which.municipalities is not None:
        clauses.append(f"x.municipality_id = ANY({p.add(sorted(which.municipalities))}::text[])")
    for column in ("municipality_id", "mediator_id"):
        if (value := getattr(which, column)) is not None:
            clauses.append(f"x.{column} = {p.add(value)}")
    sql = f"{_EVALUATIONS} WHERE {' AND '.join(clauses)} ORDER BY x.time, x.evaluation_id"
    return await pool.fetch(qualified(sql, schema), *p.values)
