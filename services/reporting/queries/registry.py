"""Who is who, as of a sequence: municipalities, mediators, institutions; and the projection's position."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.reporting.application.figures import Place

from .sql import qualified


@dataclass(frozen=True)
class MediatorRecord:
    """A mediator's latest registration up to some sequence."""

    mediator_id: str
    name: str
    municipality_ids: tuple[str, ...]


async def position(connection: asyncpg.Connection | asyncpg.Pool, schema: str, projection: str) -> int:
    """The last sequence the projection committed in this schema."""
    value = await connection.fetchval(
        qualified("SELECT position FROM {s}.projection_positions WHERE name = $1", schema), projection)
    return int(value or 0)


async def places(pool: asyncpg.Pool, schema: str, as_of: int, within: frozenset[str] | None = None) -> list[Place]:
    """Municipalities registered up to `as_of` (all, or those `within`), by id."""
    records = await pool.fetch(qualified(
        """SELECT municipality_id, name FROM {s}.municipalities
           WHERE sequence <= $1 AND ($2::text[] IS NULL OR municipality_id = ANY($2::text[]))
           ORDER BY municipality_id""", schema), as_of, None if within is None else sorted(within))
    return [Place(r["municipality_id"], r["name"]) for r in records]


async def mediator(pool: asyncpg.Pool, schema: str, mediator_id: str, as_of: int) -> MediatorRecord | None:
    """The mediator's latest registration up to `as_of`, if any."""
    record = await pool.fetchrow(qualified(
        """SELECT mediator_id, display_name, municipality_ids FROM {s}.mediator_registrations
           WHERE mediator_id = $1 AND sequence <= $2 ORDER BY sequence DESC LIMIT 1""", schema), mediator_id, as_of)
    if record is None:
        return None
    return MediatorRecord(record["mediator_id"], record["display_name"], tuple(record["municipality_ids"]))


async def municipalities_ever(pool: asyncpg.Pool, schema: str, mediator_id: str, as_of: int) -> frozenset[str]:
    """Every municipality the mediator was registered for, in any registration up to `as_of`."""
    records = await pool.fetch(qualified(
        """SELECT DISTINCT unnest(municipality_ids) AS municipality_id FROM {s}.mediator_registrations
           WHERE mediator_id = $1 AND sequence <= $2""", schema), mediator_id, as_of)
    return frozenset(r["municipality_id"] for r in records)


async def mediator_ids(pool: asyncpg.Pool, schema: str, as_of: int) -> list[str]:
    """Every mediator registered up to `as_of`."""
    records = await pool.fetch(qualified(
        "SELECT DISTINCT mediator_id FROM {s}.mediator_registrations WHERE sequence <= $1 ORDER BY 1", schema), as_of)
    return [r["mediator_id"] for r in records]


async def institution_names(pool: asyncpg.Pool, schema: str, ids: set[str]) -> dict[str, str]:
    """Names of institutions by id."""
    if not ids:
        return {}
    records = await pool.fetch(qualified(
        "SELECT institution_id, name FROM {s}.institutions WHERE institution_id = ANY($1::text[])", schema),
        sorted(ids))
    return {r["institution_id"]: r["name"] for r in records}


async def institution_exists(pool: asyncpg.Pool, schema: str, institution_id: str, as_of: int) -> bool:
    """Whether the institution was registered up to `as_of`."""
    return bool(await pool.fetchval(qualified(
        "SELECT EXISTS (SELECT 1 FROM {s}.institutions WHERE institution_id = $1 AND sequence <= $2)", schema),
        institution_id, as_of))


async def report_months(pool: asyncpg.Pool, schema: str, as_of: int) -> list[tuple[str, str]]:
    """(mediator, month) of every report submitted up to `as_of`."""
    records = await pool.fetch(qualified(
        "SELECT DISTINCT mediator_id, month FROM {s}.reports WHERE sequence <= $1 ORDER BY 1, 2", schema), as_of)
    return [(r["mediator_id"], r["month"]) for r in records]
