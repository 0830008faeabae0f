"""Families, their members and cases, and everything recorded on a case, as of a sequence."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from .sql import Params, qualified

_CASE = """SELECT x.case_id, x.family_id, x.municipality_id, x.domain, x.need, x.description, x.opened_at,
                  x.opened_by, x.sequence, x.event_id,
                  CASE WHEN x.closed_sequence <= $1 THEN 'closed' ELSE 'open' END AS status,
                  CASE WHEN x.closed_sequence <= $1 THEN x.closed_sequence END AS closed_sequence,
                  CASE WHEN x.closed_sequence <= $1 THEN x.closed_at END AS closed_at,
                  CASE WHEN x.closed_sequence <= $1 THEN x.closed_by END AS closed_by,
                  CASE WHEN x.closed_sequence <= $1 THEN x.resolution END AS resolution,
                  CASE WHEN x.closed_sequence <= $1 THEN x.closing_note END AS closing_note
           FROM {s}.cases x"""


@dataclass(frozen=True)
class CaseFilter:
    """Which cases to list."""

    as_of: int
    municipalities: frozenset[str] | None = None
    family_id: str | None = None
    municipality_id: str | None = None
    status: str | None = None  # open | closed
    domain: str | None = None


async def case(pool: asyncpg.Pool, schema: str, case_id: str, as_of: int) -> asyncpg.Record | None:
    """One case as of a sequence."""
    sql = f"{_CASE} WHERE x.case_id = $2 AND x.sequence <= $1"
    return await pool.fetchrow(qualified(sql, schema), as_of, case_id)


async def cases(pool: asyncpg.Pool, schema: str, which: CaseFilter, after: int | None,
                limit: int) -> list[asyncpg.Record]:
    """Cases in the order they were opened, after the sequence `after`."""
    p = Params(which.as_of)
    clauses = ["x.sequence <= $1"]
    if which.municipalities is not None:
        clauses.append(f"x.municipality_id = ANY({p.add(sorted(which.municipalities))}::text[])")
    for column in ("family_id", "municipality_id", "domain"):
        if (value := getattr(which, column)) is not None:
            clauses.append(f"x.{column} = {p.add(value)}")
    if which.status == "open":
        clauses.append("(x.closed_sequence IS NULL OR x.closed_sequence > $1)")
    elif which.status == "closed":
        clauses.append("x.closed_sequence <= $1")
    if after is not None:
        clauses.append(f"x.sequence > {p.add(after)}")
    sql = f"{_CASE} WHERE {' AND '.join(clauses)} ORDER BY x.sequence LIMIT {p.add(limit)}"
    return await pool.fetch(qualified(sql, schema), *p.values)


@dataclass(frozen=True)
class CaseRecords:
    """Everything recorded on one case."""

    activities: list[asyncpg.Record]
    cooperations: list[asyncpg.Record]
    referrals: list[asyncpg.Record]
    outcomes: list[asyncpg.Record]


_ACTIVITIES = """
    SELECT activity_id, sequence, time, mediator_id, kind, domain, person_ids, participants, duration_minutes, note
    FROM {s}.activities x"""
_CASE_ACTIVITIES = _ACTIVITIES + " WHERE x.case_id = $1 AND x.sequence <= $2"
_COOPERATIONS = """
    SELECT x.cooperation_id, x.sequence, x.time, x.mediator_id, x.institution_id, i.name AS institution_name,
           x.contact_id, c.name AS contact_name, c.role AS contact_role, x.domain, x.channel, x.purpose,
           CASE WHEN x.answer_sequence <= $2 THEN x.answer END AS answer,
           CASE WHEN x.answer_sequence <= $2 THEN x.answer_sequence END AS answer_sequence,
           CASE WHEN x.answer_sequence <= $2 THEN x.answered_at END AS answered_at,
           CASE WHEN x.answer_sequence <= $2 THEN x.answer_note END AS answer_note
    FROM {s}.cooperations x JOIN {s}.institutions i USING (institution_id)
    LEFT JOIN {s}.contacts c ON c.institution_id = x.institution_id AND c.contact_id = x.contact_id"""
_CASE_COOPERATIONS = _COOPERATIONS + " WHERE x.case_id = $1 AND x.sequence <= $2"
_CASE_REFERRALS = """
    SELECT x.referral_id, x.sequence, x.time, x.mediator_id, x.institution_id, i.name AS institution_name, x.service,
           CASE WHEN x.accepted_sequence <= $2 THEN x.accepted_sequence END AS accepted_sequence,
           x.accepted_at, x.accepted_note,
           CASE WHEN x.completed_sequence <= $2 THEN x.completed_sequence END AS completed_sequence,
           x.completed_at, x.completed_note,
           CASE WHEN x.declined_sequence <= $2 THEN x.declined_sequence END AS declined_sequence,
           x.declined_at, x.declined_note
    FROM {s}.referrals x JOIN {s}.institutions i USING (institution_id)
    WHERE x.case_id = $1 AND x.sequence <= $2"""
_CASE_OUTCOMES = """
    SELECT outcome_id, sequence, time, mediator_id, kind, person_ids, note
    FROM {s}.outcomes WHERE case_id = $1 AND sequence <= $2"""


_OUTSIDE_CASES = " WHERE x.family_id = $1 AND x.case_id IS NULL AND x.sequence <= $2"


async def family_records(pool: asyncpg.Pool, schema: str, family_id: str, as_of: int) -> CaseRecords:
    """Activities and cooperations that name a family but none of its cases, up to `as_of`
    (referrals and outcomes always belong to a case)."""
    activities, cooperations = [await pool.fetch(qualified(sql + _OUTSIDE_CASES, schema), family_id, as_of)
                                for sql in (_ACTIVITIES, _COOPERATIONS)]
    return CaseRecords(activities, cooperations, [], [])


async def case_records(pool: asyncpg.Pool, schema: str, case_id: str, as_of: int) -> CaseRecords:
    """The activities, cooperations, referrals and outcomes of a case up to `as_of`."""
    found = [await pool.fetch(qualified(sql, schema), case_id, as_of)
             for sql in (_CASE_ACTIVITIES, _CASE_COOPERATIONS, _CASE_REFERRALS, _CASE_OUTCOMES)]
    return CaseRecords(*found)


async def family(pool: asyncpg.Pool, schema: str, family_id: str, as_of: int) -> asyncpg.Record | None:
    """A family's registration and consent, as of a sequence."""
    return await pool.fetchrow(qualified(
        """SELECT family_id, municipality_id, sequence, event_id, registered_at, registered_by, consent_given_on,
                  consent_scope, personal,
                  CASE WHEN consent_withdrawn_sequence <= $2 THEN consent_withdrawn_at END AS consent_withdrawn_at,
                  CASE WHEN erased_sequence <= $2 THEN erased_at END AS erased_at,
                  CASE WHEN erased_sequence <= $2 THEN erasure_reason END AS erasure_reason,
                  CASE WHEN erased_sequence <= $2 THEN erasure_recorded_at END AS erasure_recorded_at
           FROM {s}.families WHERE family_id = $1 AND sequence <= $2""", schema), family_id, as_of)


async def persons(pool: asyncpg.Pool, schema: str, family_id: str, as_of: int) -> list[asyncpg.Record]:
    """A family's members, in the order they were added."""
    return await pool.fetch(qualified(
        """SELECT person_id, relation, birth_year, personal, event_id, sequence FROM {s}.persons
           WHERE family_id = $1 AND sequence <= $2 ORDER BY sequence""", schema), family_id, as_of)


async def family_work(pool: asyncpg.Pool, schema: str, family_id: str, as_of: int) -> asyncpg.Record:
    """On how many days, from when to when, work reached a family."""
    return await pool.fetchrow(qualified(
        """SELECT count(DISTINCT local_date)::int AS days, min(local_date) AS first_day, max(local_date) AS last_day
           FROM {s}.family_days WHERE family_id = $1 AND sequence <= $2""", schema), family_id, as_of)
