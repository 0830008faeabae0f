"""Fingerprints of every report as of one sequence, to compare two schemas built from the same log.

The reports compared: the summary over the whole recorded period, in total and for each
municipality, every mediator's monthly report for every month with work or a report, and the
evaluations report over every day with an evaluation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.canonical import canonical_json, sha256_hex
from services.reporting.application import reports
from services.reporting.application.periods import Period
from services.reporting.queries import registry
from services.reporting.queries.evaluations import EvaluationFilter
from services.reporting.queries.sql import qualified

CONCURRENCY = 4


@dataclass(frozen=True)
class ReportSet:
    """Which reports to fingerprint."""

    period: Period | None
    municipalities: tuple[str, ...]
    months: tuple[tuple[str, str], ...]  # (mediator, YYYY-MM)
    evaluated: Period | None = None  # the first and last day with an evaluation

    def union(self, other: ReportSet) -> ReportSet:
        return ReportSet(_span(self.period, other.period), tuple(sorted({*self.municipalities, *other.municipalities})),
                         tuple(sorted({*self.months, *other.months})), _span(self.evaluated, other.evaluated))

    @property
    def size(self) -> int:
        return (1 + len(self.municipalities) if self.period else 0) + len(self.months) + (1 if self.evaluated else 0)


def _span(*periods: Period | None) -> Period | None:
    """The period from the first day of any of `periods` to the last day of any."""
    given = [p for p in periods if p]
    return Period(min(p.first_day for p in given), max(p.last_day for p in given)) if given else None


async def report_set(pool: asyncpg.Pool, schema: str, as_of: int) -> ReportSet:
    """Every report a schema can answer as of a sequence."""
    span = await pool.fetchrow(qualified(
        "SELECT min(local_date) AS first, max(local_date) AS last FROM {s}.mediator_days WHERE sequence <= $1",
        schema), as_of)
    months = await pool.fetch(qualified(
        """SELECT DISTINCT mediator_id, to_char(local_date, 'YYYY-MM') AS month FROM {s}.mediator_days
           WHERE sequence <= $1
           UNION SELECT mediator_id, month FROM {s}.reports WHERE sequence <= $1""", schema), as_of)
    evaluated = await pool.fetchrow(qualified(
        "SELECT min(local_date) AS first, max(local_date) AS last FROM {s}.evaluations WHERE sequence <= $1",
        schema), as_of)
    places = await registry.places(pool, schema, as_of)
    period = Period(span["first"], span["last"]) if span["first"] else None
    return ReportSet(period, tuple(p.municipality_id for p in places),
                     tuple(sorted((r["mediator_id"], r["month"]) for r in months)),
                     Period(evaluated["first"], evaluated["last"]) if evaluated["first"] else None)


def _fingerprint(report: dict[str, Any] | None) -> str:
    return sha256_hex(canonical_json(report))


async def checksums(pool: asyncpg.Pool, schema: str, as_of: int, which: ReportSet,
                    progress: Callable[[], None] = lambda: None) -> dict[str, str]:
    """sha256 of the canonical JSON of every report in `which`, by report name."""
    jobs: dict[str, Callable[[], Awaitable[dict[str, Any] | None]]] = {}
    if which.period is not None:
        period = which.period
        jobs["summary:total"] = lambda: reports.summary(pool, schema, period, as_of, None)
        for m in which.municipalities:
            jobs[f"summary:{m}"] = (lambda m=m: reports.summary(pool, schema, period, as_of, frozenset({m}), m))
    for mediator_id, month in which.months:
        jobs[f"monthly:{mediator_id}:{month}"] = (
            lambda mediator_id=mediator_id, month=month: reports.monthly(pool, schema, mediator_id, month, as_of))
    if which.evaluated is not None:
        evaluated = EvaluationFilter(which.evaluated.first_day, which.evaluated.last_day, as_of)
        jobs["evaluations:total"] = lambda: reports.evaluations(pool, schema, evaluated)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def run(name: str) -> tuple[str, str]:
        async with gate:
            digest = _fingerprint(await jobs[name]())
        progress()
        return name, digest

    return dict(await asyncio.gather(*(run(name) for name in jobs)))
