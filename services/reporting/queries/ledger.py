"""The cooperation ledger and the referrals, as of a sequence, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from .sql import Params, qualified

_MEDIATOR_NAME = """LEFT JOIN LATERAL (
        SELECT display_name FROM {s}.mediator_registrations r
        WHERE r.mediator_id = x.mediator_id AND r.sequence <= $1 ORDER BY r.sequence DESC LIMIT 1) m ON true"""

_COOPERATIONS = """
    SELECT x.cooperation_id, x.sequence, x.time, x.local_date, x.municipality_id, x.mediator_id,
           m.display_name AS mediator_name, x.institution_id, i.name AS institution_name,
           x.contact_id, c.name AS contact_name, c.role AS contact_role, x.domain, x.channel, x.purpose,
           x.family_id, x.case_id,
           CASE WHEN x.answer_sequence <= $1 THEN x.answer END AS answer,
           CASE WHEN x.answer_sequence <= $1 THEN x.answered_at END AS answered_at,
           CASE WHEN x.answer_sequence <= $1 THEN x.answer_sequence END AS answer_sequence,
           CASE WHEN x.answer_sequence <= $1 THEN x.answer_note END AS answer_note,
           CASE WHEN x.answer_sequence <= $1 THEN x.answer_contact_id END AS answer_contact_id,
           CASE WHEN x.answer_sequence <= $1 THEN a.name END AS answer_contact_name,
           CASE WHEN x.answer_sequence <= $1 THEN a.role END AS answer_contact_role
    FROM {s}.cooperations x
    JOIN {s}.institutions i ON i.institution_id = x.institution_id
    LEFT JOIN {s}.contacts c ON c.institution_id = x.institution_id AND c.contact_id = x.contact_id
    LEFT JOIN {s}.contacts a ON a.institution_id = x.institution_id AND a.contact_id = x.answer_contact_id
    """ + _MEDIATOR_NAME


@dataclass(frozen=True)
class LedgerFilter:
    """Which cooperations or referrals to list."""

    as_of: int
    municipalities: frozenset[str] | None = None
    institution_id: str | None = None
    mediator_id: str | None = None
    since: datetime | None = None   # inclusive
    before: datetime | None = None  # exclusive
    case_id: str | None = None
    status: str | None = None       # referrals only

    def clauses(self, p: Params) -> list[str]:
        clauses = ["x.sequence <= $1"]
        if self.municipalities is not None:
            clauses.append(f"x.municipality_id = ANY({p.add(sorted(self.municipalities))}::text[])")
        for column in ("institution_id", "mediator_id", "case_id"):
            if (value := getattr(self, column)) is not None:
                clauses.append(f"x.{column} = {p.add(value)}")
        if self.since is not None:
            clauses.append(f"x.time >= {p.add(self.since)}")
        if self.before is not None:
            clauses.append(f"x.time < {p.add(self.before)}")
        return clauses


async def cooperations(pool: asyncpg.Pool, schema: str, which: LedgerFilter, after: tuple[Any, ...] | None,
                       limit: int) -> list[asyncpg.Record]:
    """Cooperations in time order (then by id), after the key `after`."""
    p = Params(which.as_of)
    clauses = which.clauses(p)
    if after is not None:
        clauses.append(f"(x.time, x.cooperation_id) > ({p.add(after[0])}, {p.add(after[1])})")
    sql = f"{_COOPERATIONS} WHERE {' AND '.join(clauses)} ORDER BY x.time, x.cooperation_id LIMIT {p.add(limit)}"
    return await pool.fetch(qualified(sql, schema), *p.values)


async def every_cooperation(pool: asyncpg.Pool, schema: str, which: LedgerFilter) -> list[asyncpg.Record]:
    """Every cooperation the filter names, in time order (then by id): a month of one mediator's
    work, for a report, which is never paged."""
    p = Params(which.as_of)
    sql = f"{_COOPERATIONS} WHERE {' AND '.join(which.clauses(p))} ORDER BY x.time, x.cooperation_id"
    return await pool.fetch(qualified(sql, schema), *p.values)


_STATUS = """CASE WHEN x.declined_sequence <= $1 THEN 'declined'
                  WHEN x.completed_sequence <= $1 THEN 'completed'
                  WHEN x.accepted_sequence <= $1 THEN 'accepted' ELSE 'made' END"""

_REFERRALS = f"""
    SELECT * FROM (
        SELECT x.referral_id, x.sequence, x.time, x.municipality_id, x.mediator_id, m.display_name AS mediator_name,
               x.institution_id, i.name AS institution_name, x.service, x.case_id, x.family_id,
               {_STATUS} AS status,
               CASE WHEN x.accepted_sequence <= $1 THEN x.accepted_at END AS accepted_at,
               CASE WHEN x.accepted_sequence <= $1 THEN x.accepted_note END AS accepted_note,
               CASE WHEN x.completed_sequence <= $1 THEN x.completed_at END AS completed_at,
               CASE WHEN x.completed_sequence <= $1 THEN x.completed_note END AS completed_note,
               CASE WHEN x.declined_sequence <= $1 THEN x.declined_at END AS declined_at,
               CASE WHEN x.declined_sequence <= $1 THEN x.declined_note END AS declined_note
        FROM {{s}}.referrals x
        JOIN {{s}}.institutions i ON i.institution_id = x.institution_id
        {_MEDIATOR_NAME}
        WHERE {{where}}) referral"""


async def referrals(pool: asyncpg.Pool, schema: str, which: LedgerFilter, after: tuple[Any, ...] | None,
                    limit: int | None) -> list[asyncpg.Record]:
    """Referrals in the order they were made, after the sequence `after` (every one: `limit` None,
    for a report's month, which is never paged)."""
    p = Params(which.as_of)
    clauses = which.clauses(p)
    if after is not None:
        clauses.append(f"x.sequence > {p.add(after[0])}")
    outer = f" WHERE status = {p.add(which.status)}" if which.status else ""
    page = f" LIMIT {p.add(limit)}" if limit is not None else ""
    sql = _REFERRALS.replace("{where}", " AND ".join(clauses)) + outer + " ORDER BY sequence" + page
    return await pool.fetch(qualified(sql, schema), *p.values)
