"""The history of a mediator's report for a month, as of a sequence."""

from __future__ import annotations

import asyncpg

from services.reporting.application.monthly import ReportStep

from .sql import qualified

_HISTORY = """SELECT h.report_id, h.sequence, h.action, h.time, h.actor, h.narrative, h.note
              FROM {s}.reports r JOIN {s}.report_history h USING (report_id)
              WHERE r.mediator_id = $1 AND r.month = $2 AND h.sequence <= $3
              ORDER BY h.sequence"""


async def report_steps(pool: asyncpg.Pool, schema: str, mediator_id: str, month: str, as_of: int) -> list[ReportStep]:
    """Every submission, approval and return of the mediator's report for the month, in order."""
    records = await pool.fetch(qualified(_HISTORY, schema), mediator_id, month, as_of)
    return [ReportStep(r["report_id"], r["sequence"], r["action"], r["time"], r["actor"], r["narrative"], r["note"])
            for r in records]
