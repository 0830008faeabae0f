"""A read model built by an older reporting service gets the tally columns added since, filled
from its facts, so its live summary still equals counting the facts (no rebuild needed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

import asyncpg

from services.reporting.application.figures import Place, by_municipality
from services.reporting.application.periods import Period
from services.reporting.projections.schema import MIGRATIONS
from services.reporting.queries.figures import FigureFilter, figure_rows
from services.reporting.queries.live_figures import live_figure_rows
from shared.config import Settings
from shared.db.migrations import migrate
from shared.db.pool import create_pool

SCHEMA = "tilts_reporting"
BEFORE = 11  # the tally columns the service had before participants were summed
_STAMP = "event_id, sequence, time, local_date, municipality_id, mediator_id"


async def _older_read_model(connection: asyncpg.Connection) -> None:
    """Facts and the monthly tallies an older projection wrote (no participants in the tallies)."""
    at = datetime(2020, 1, 10, 9, tzinfo=UTC)
    activities = [("a1", 1, date(2020, 1, 6), "jelgava", "information_session", "employment", 18),
                  ("a2", 2, date(2020, 1, 20), "jelgava", "information_session", "employment", 12),
                  ("a3", 3, date(2020, 1, 21), "jelgava", "home_visit", "education", None),
                  ("a4", 4, date(2020, 2, 3), "balvi", "community_event", "community", 40)]
    await connection.executemany(
        f"INSERT INTO {SCHEMA}.activities (activity_id, {_STAMP}, kind, domain, person_ids, participants)"
        " VALUES ($1, $1, $2, $3, $4, $5, 'med-1', $6, $7, '{}', $8)",
        [(a, n, at, day, place, kind, domain, participants) for a, n, day, place, kind, domain, participants
         in activities])
    await connection.execute(
        f"INSERT INTO {SCHEMA}.month_activities (municipality_id, month, kind, domain, n)"
        " SELECT municipality_id, date_trunc('month', local_date)::date, kind, domain, count(*)"
        f" FROM {SCHEMA}.activities GROUP BY 1, 2, 3, 4")


async def test_participants_are_filled_into_the_monthly_tallies_from_the_facts(
        make_settings: Callable[..., Awaitable[Settings]]) -> None:
    settings = await make_settings()
    pool = await create_pool(str(settings.database_url))
    try:
        async with pool.acquire() as connection:
            await migrate(connection, SCHEMA, [m for m in MIGRATIONS if m.version <= BEFORE])
            await _older_read_model(connection)
            applied = await migrate(connection, SCHEMA, MIGRATIONS)
            tallies = {(r["municipality_id"], r["month"], r["kind"]): (r["n"], r["participants"])
                       for r in await connection.fetch(f"SELECT * FROM {SCHEMA}.month_activities")}
            season = Period(date(2020, 1, 1), date(2020, 2, 29))
            live = await live_figure_rows(connection, SCHEMA, season, 4, None)
        counted = await figure_rows(pool, SCHEMA, FigureFilter(season.first_day, season.last_day, 4))
    finally:
        await pool.close()

    assert applied == [m.version for m in MIGRATIONS if m.version > BEFORE]
    assert tallies == {("jelgava", date(2020, 1, 1), "information_session"): (2, 30),
                       ("jelgava", date(2020, 1, 1), "home_visit"): (1, 0),
                       ("balvi", date(2020, 2, 1), "community_event"): (1, 40)}
    places = [Place("balvi", "Balvi"), Place("jelgava", "Jelgava")]
    report = by_municipality(live, places, {})
    assert report == by_municipality(counted, places, {})
    assert [m["activities"]["participants"] for m in report["municipalities"]] == [40, 30]
