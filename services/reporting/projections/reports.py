"""Read model of the mediators' monthly reports: every submission, approval and return, in order.

The history keeps the sequence each submission was made at, so the figures the mediator
submitted can always be computed again, next to the live ones.
"""

from __future__ import annotations

from shared.events.report import ReportApproved, ReportReturned, ReportSubmitted

from .changes import Change, Insert
from .facts import Fact
from .known import Known


def _history(fact: Fact, report_id: str, action: str, *, narrative: dict | None = None,
             note: str | None = None) -> Insert:
    return Insert("report_history", {
        "report_id": report_id, "sequence": fact.sequence, "event_id": fact.event_id, "action": action,
        "time": fact.time, "actor": fact.actor, "narrative": narrative, "note": note})


def report_submitted(fact: Fact, known: Known) -> list[Change]:
    data: ReportSubmitted = fact.data  # type: ignore[assignment]
    return [Insert("reports", {"report_id": data.report_id, "mediator_id": fact.actor, "month": data.month,
                               "sequence": fact.sequence}),
            _history(fact, data.report_id, "submitted", narrative=data.narrative.model_dump(mode="json"))]


def report_approved(fact: Fact, known: Known) -> list[Change]:
    data: ReportApproved = fact.data  # type: ignore[assignment]
    return [_history(fact, data.report_id, "approved", note=data.note)]


def report_returned(fact: Fact, known: Known) -> list[Change]:
    data: ReportReturned = fact.data  # type: ignore[assignment]
    return [_history(fact, data.report_id, "returned", note=data.note)]


HANDLERS = {ReportSubmitted: report_submitted, ReportApproved: report_approved,
            ReportReturned: report_returned}
