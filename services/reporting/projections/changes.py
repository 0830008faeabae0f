"""Row changes: what the pure projection functions return, and the one writer that stores them.

`Insert` never overwrites (ON CONFLICT DO NOTHING), so applying an event twice changes nothing;
roll-up rows keyed by (who, family, day) keep the sequence of the first event that made them,
which is what lets a report be computed "as of" any sequence. `Update` sets the columns of a
state change (an acknowledgement, a closure) on a row inserted by an earlier event. `Add` and
`Mark` keep monthly tallies: add to counters, or set bits (days of a month, months of a year).
Tallies are not idempotent by themselves; the projection applies each event id once.

Changes are plain slotted dataclasses, not frozen ones: a batch of a thousand events makes ten
thousand of them, and a frozen dataclass costs three times as much to build. Nothing mutates them.
"""

from __future__ import annotations

import json
from operator import itemgetter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg


@dataclass(slots=True)
class Insert:
    """Add a row unless its key is already there."""

    table: str
    row: Mapping[str, Any]


@dataclass(slots=True)
class Update:
    """Set columns of the row(s) matching `key`."""

    table: str
    key: Mapping[str, Any]
    values: Mapping[str, Any]


@dataclass(slots=True)
class Add:
    """Add to the counters of the row with `key` (creating it at zero)."""

    table: str
    key: Mapping[str, Any]
    values: Mapping[str, int]


@dataclass(slots=True)
class Mark:
    """Set bits in the columns of the row with `key` (creating it with none set)."""

    table: str
    key: Mapping[str, Any]
    values: Mapping[str, int]


Change = Insert | Update | Add | Mark

# Columns whose values travel as text and are cast in SQL (an array of arrays cannot be unnested).
_AS_TEXT = {"_text": "text[]", "jsonb": "jsonb"}


def _grouped(changes: Iterable[Change]) -> dict[tuple, list[Any]]:
    """Changes by (kind, table, columns), in order: one statement each."""
    groups: dict[tuple, list[Any]] = {}
    for change in changes:
        if type(change) is Insert:
            groups.setdefault((Insert, change.table, tuple(change.row)), []).append(change.row)
        else:
            groups.setdefault((type(change), change.table, tuple(change.key), tuple(change.values)),
                              []).append(change)
    return groups


def _combined(group: list[Add] | list[Mark]) -> list[tuple[Any, ...]]:
    """One row per key: counters summed, bits OR-ed (one statement may not touch a row twice)."""
    merged: dict[tuple, list[int]] = {}
    adding = type(group[0]) is Add
    for change in group:
        key = tuple(change.key.values())
        values = merged.get(key)
        if values is None:
            merged[key] = list(change.values.values())
        else:
            for n, value in enumerate(change.values.values()):
                values[n] = values[n] + value if adding else values[n] | value
    return [(*key, *values) for key, values in merged.items()]


def _as_text(value: Any, udt: str) -> str | None:
    if value is None:
        return None
    if udt == "_text":  # ids are [A-Za-z0-9._:-]: nothing in them needs quoting in an array literal
        return "{" + ",".join(value) + "}"
    return json.dumps(value, ensure_ascii=False)


_PRIMARY_KEYS = """
    SELECT c.relname AS table_name, a.attname AS column_name
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
    WHERE i.indisprimary AND n.nspname = $1"""


class TableShapes:
    """The PostgreSQL type of every column, and the primary key, of a schema's tables (read once)."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.types: dict[str, dict[str, str]] = {}
        self.keys: dict[str, tuple[str, ...]] = {}

    async def load(self, connection: asyncpg.Connection) -> TableShapes:
        if not self.types:
            for r in await connection.fetch(
                    "SELECT table_name, column_name, udt_name FROM information_schema.columns WHERE table_schema = $1",
                    self.schema):
                self.types.setdefault(r["table_name"], {})[r["column_name"]] = r["udt_name"]
            for r in await connection.fetch(_PRIMARY_KEYS, self.schema):
                self.keys[r["table_name"]] = (*self.keys.get(r["table_name"], ()), r["column_name"])
        return self

    def first_per_key(self, table: str, rows: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """Rows with a key seen before in the list dropped (they would conflict anyway)."""
        key = self.keys.get(table)
        if not key:
            return rows
        identity = itemgetter(*key)
        seen: set = set()
        kept = []
        for row in rows:
            found = identity(row)
            if found not in seen:
                seen.add(found)
                kept.append(row)
        return kept


def _unnest(columns: Sequence[str], types: Mapping[str, str], rows: Sequence[Sequence[Any]],
            start: int = 1) -> tuple[str, str, list[Sequence[Any]]]:
    """(unnest(...) expression, select list, array parameters) for rows of these columns."""
    params: list[Sequence[Any]] = []
    casts, selects = [], []
    for n, (column, values) in enumerate(zip(columns, zip(*rows, strict=True), strict=True)):
        udt = types[column]
        if udt in _AS_TEXT:
            params.append([_as_text(value, udt) for value in values])
            casts.append(f"${start + n}::text[]")
            selects.append(f"u.{column}::{_AS_TEXT[udt]}")
        else:
            params.append(values)
            casts.append(f"${start + n}::{udt}[]")
            selects.append(f"u.{column}")
    return (f"unnest({', '.join(casts)}) WITH ORDINALITY AS u({', '.join(columns)}, ordinal_)",
            ", ".join(selects), params)


def insert_sql(schema: str, table: str, columns: Sequence[str], source: str, selects: str) -> str:
    return (f'INSERT INTO "{schema}".{table} ({", ".join(columns)}) SELECT {selects} FROM {source} ORDER BY u.ordinal_'
            " ON CONFLICT DO NOTHING")


def tally_sql(schema: str, table: str, key: Sequence[str], columns: Sequence[str], source: str, selects: str,
              operator: str) -> str:
    updates = ", ".join(f"{c} = t.{c} {operator} EXCLUDED.{c}" for c in columns)
    return (f'INSERT INTO "{schema}".{table} AS t ({", ".join((*key, *columns))}) SELECT {selects} FROM {source}'
            f' ON CONFLICT ({", ".join(key)}) DO UPDATE SET {updates}')


def update_sql(schema: str, table: str, key: Sequence[str], columns: Sequence[str], source: str, selects: str) -> str:
    sets = ", ".join(f"{c} = v.{c}" for c in columns)
    where = " AND ".join(f"t.{k} = v.{k}" for k in key)
    return f'UPDATE "{schema}".{table} AS t SET {sets} FROM (SELECT {selects} FROM {source}) AS v WHERE {where}'


async def write(connection: asyncpg.Connection, shapes: TableShapes, changes: Sequence[Change]) -> None:
    """Store changes with one statement per table and kind: inserts, then updates, then tallies.

    Updates only ever set state-change columns of rows that earlier events inserted, no insert
    depends on an update, and tallies commute, so this order gives the same rows as applying
    event by event. Inserts keep the order of the events (`WITH ORDINALITY ... ORDER BY`), so of
    two roll-up rows with one key the earlier event's is kept.
    """
    await shapes.load(connection)
    groups = _grouped(changes)
    for (kind, table, *names), group in groups.items():
        if kind is Insert:
            columns = names[0]
            rows = [tuple(row.values()) for row in shapes.first_per_key(table, group)]
            source, selects, params = _unnest(columns, shapes.types[table], rows)
            await connection.execute(insert_sql(shapes.schema, table, columns, source, selects), *params)
    for (kind, table, *names), group in groups.items():
        if kind is Update:
            key, columns = names
            latest = {tuple(c.key.values()): c for c in group}  # one row per key: the last change wins
            rows = [(*c.values.values(), *c.key.values()) for c in latest.values()]
            source, selects, params = _unnest((*columns, *key), shapes.types[table], rows)
            await connection.execute(update_sql(shapes.schema, table, key, columns, source, selects), *params)
    for (kind, table, *names), group in groups.items():
        if kind in (Add, Mark):
            key, columns = names
            source, selects, params = _unnest((*key, *columns), shapes.types[table], _combined(group))
            operator = "+" if kind is Add else "|"
            await connection.execute(tally_sql(shapes.schema, table, key, columns, source, selects, operator), *params)
