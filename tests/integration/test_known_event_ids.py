"""The filter that spares the append path a PostgreSQL lookup per new event id, on a real index."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from shared.config import Settings
from shared.db.migrations import migrate
from shared.db.pool import create_pool
from services.intake.adapters import known_ids
from services.intake.adapters.event_index import MIGRATIONS, SCHEMA, EventIndex
from services.intake.adapters.known_ids import KnownEventIds


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def pool(make_settings: Callable[..., Awaitable[Settings]]) -> AsyncIterator[asyncpg.Pool]:
    settings = await make_settings()
    pool = await create_pool(str(settings.database_url))
    async with pool.acquire() as connection:
        await migrate(connection, SCHEMA, MIGRATIONS)
    yield pool
    await pool.close()


class Index:
    """Rows in the event index, as its projection writes them."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool, self.sequence = pool, 0

    async def add(self, *event_ids: str, aggregate: str = "a-1") -> None:
        for event_id in event_ids:
            self.sequence += 1
            await self.pool.execute(
                f"INSERT INTO {SCHEMA}.events (event_id, sequence, type, aggregate_type, aggregate_id,"
                " municipality, actor) VALUES ($1, $2, 'tilts.activity.recorded', 'activity', $3, 'm', 'med')",
                event_id, self.sequence, aggregate)


def _new_ids(count: int) -> list[str]:
    return [f"ev-{uuid.uuid4().hex}" for _ in range(count)]


def _certainly_new(known: KnownEventIds, ids: list[str]) -> int:
    return sum(1 for event_id in ids if not known.may_contain(event_id))


async def test_until_loaded_every_id_may_be_known(pool: asyncpg.Pool) -> None:
    known = KnownEventIds(pool, SCHEMA)
    assert _certainly_new(known, _new_ids(50)) == 0


async def test_indexed_ids_are_maybe_and_new_ids_are_certainly_new(pool: asyncpg.Pool) -> None:
    index = Index(pool)
    indexed = _new_ids(20)
    await index.add(*indexed)
    known = KnownEventIds(pool, SCHEMA)
    await known.refresh()
    assert all(known.may_contain(event_id) for event_id in indexed)  # a Bloom filter has no false "no"
    assert _certainly_new(known, _new_ids(200)) >= 190  # false positives: about one in a thousand


async def _loaded_then_grown(pool: asyncpg.Pool, count: int) -> tuple[KnownEventIds, list[str]]:
    """A filter loaded from the index, then refreshed after the index gained `count` ids."""
    known = KnownEventIds(pool, SCHEMA)
    await known.refresh()
    later = _new_ids(count)
    await Index(pool).add(*later)
    await known.refresh()
    return known, later


async def test_the_filter_follows_what_the_index_gains(pool: asyncpg.Pool) -> None:
    known, later = await _loaded_then_grown(pool, 5)
    assert all(known.may_contain(event_id) for event_id in later)


async def test_a_stale_filter_sends_every_id_to_the_index(pool: asyncpg.Pool) -> None:
    clock = Clock()
    known = KnownEventIds(pool, SCHEMA, stale_after=30, clock=clock)
    await known.refresh()
    fresh_ids = _new_ids(50)
    assert _certainly_new(known, fresh_ids) >= 45
    clock.now += 31  # PostgreSQL has not answered a refresh for longer than that
    assert _certainly_new(known, fresh_ids) == 0


async def test_an_index_outgrowing_the_filter_gets_a_bigger_one(pool: asyncpg.Pool,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(known_ids, "MIN_CAPACITY", 8)
    known, grown = await _loaded_then_grown(pool, 40)
    assert all(known.may_contain(event_id) for event_id in grown)
    assert known.capacity >= 80 and known.count == 40


async def test_the_append_path_asks_postgresql_only_about_ids_the_filter_may_know(pool: asyncpg.Pool) -> None:
    index = Index(pool)
    used = _new_ids(1)[0]
    await index.add(used, aggregate="a-7")
    known = KnownEventIds(pool, SCHEMA)
    await known.refresh()
    events = EventIndex(pool, known)
    found = await events.earlier_use(used)
    assert found is not None and found.aggregate_id == "a-7"
    assert await events.earlier_use(_new_ids(1)[0]) is None
    assert set(await events.earlier_uses([used, *_new_ids(3)])) == {used}
    # Reads of one event (GET /v1/events/{id}) always ask the index itself.
    assert (await events.find(used)) == found
