"""The access log of family file reads: written on every read, listed for auditors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from .sql import Params, qualified


async def record(pool: asyncpg.Pool, schema: str, *, actor: str, role: str, family_id: str, reason: str | None,
                 personal_shown: bool, status: int, as_of: int) -> None:
    """Record one read of a family file."""
    await pool.execute(qualified(
        """INSERT INTO {s}.family_reads (actor, role, family_id, reason, personal_shown, status, as_of_sequence)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""", schema),
        actor, role, family_id, reason, personal_shown, status, as_of)


@dataclass(frozen=True)
class ReadsFilter:
    """Which recorded reads to list."""

    family_id: str | None = None
    actor: str | None = None
    since: datetime | None = None   # inclusive
    before: datetime | None = None  # exclusive


async def reads(pool: asyncpg.Pool, schema: str, which: ReadsFilter, after: int | None,
                limit: int) -> list[asyncpg.Record]:
    """Recorded reads, oldest first, after the id `after`."""
    p = Params()
    clauses = ["true"]
    for column, value in (("family_id", which.family_id), ("actor", which.actor)):
        if value is not None:
            clauses.append(f"{column} = {p.add(value)}")
    if which.since is not None:
        clauses.append(f"at >= {p.add(which.since)}")
    if which.before is not None:
        clauses.append(f"at < {p.add(which.before)}")
    if after is not None:
        clauses.append(f"id > {p.add(after)}")
    sql = f"SELECT * FROM {{s}}.family_reads WHERE {' AND '.join(clauses)} ORDER BY id LIMIT {p.add(limit)}"
    return await pool.fetch(qualified(sql, schema), *p.values)
