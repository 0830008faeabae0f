"""Schema migrations: numbered SQL steps applied once, in order, at service start.

Steps may use `{schema}` for the schema they belong to, so the same steps can build a fresh
schema next to the live one (the reporting rebuild does this).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def _lock_id(schema: str) -> int:
    return int.from_bytes(hashlib.sha256(f"tilts-migrate:{schema}".encode()).digest()[:8], "big", signed=True)


async def migrate(connection: asyncpg.Connection, schema: str, steps: Sequence[Migration]) -> list[int]:
    """Apply the steps not yet recorded in `{schema}.schema_migrations`; return those applied."""
    applied: list[int] = []
    async with connection.transaction():
        # Several services start at once; one applies, the others wait and then see it done.
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _lock_id(schema))
        await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await connection.execute(
            f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())")
        done = {row["version"] for row in await connection.fetch(
            f'SELECT version FROM "{schema}".schema_migrations')}
        for step in sorted(steps, key=lambda s: s.version):
            if step.version in done:
                continue
            await connection.execute(step.sql.replace("{schema}", f'"{schema}"'))
            await connection.execute(
                f'INSERT INTO "{schema}".schema_migrations (version, name) VALUES ($1, $2)',
                step.version, step.name)
            applied.append(step.version)
    return applied
