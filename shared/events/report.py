"""Events of the mediator's monthly report."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.events.base import EventData
from shared.events.fields import Id, LongText, Month, OptionalLongText
from shared.riga import riga_month

__all__ = ["Narrative", "ReportApproved", "ReportReturned", "ReportSubmitted"]


class Narrative(BaseModel):
    """The four parts of a mediator's own account of the month."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    main_issues: LongText
    glad_about: LongText
    challenges: LongText
    next_priorities: LongText


class _ReportEvent(EventData):
    AGGREGATE: ClassVar[str] = "report"
    AGGREGATE_ID: ClassVar[str] = "report_id"


class ReportSubmitted(_ReportEvent):
    """A mediator submitted the monthly report."""

    TYPE: ClassVar[str] = "tilts.report.submitted"

    report_id: Id
    month: Month
    narrative: Narrative

    def errors_at(self, time: datetime) -> tuple[tuple[str, str], ...]:
        if self.month > riga_month(time):  # the same instant gets the same verdict, however written
            return (("month", "a report is for a month that has begun by the event's time"),)
        return ()


class ReportApproved(_ReportEvent):
    """The coordinator approved the report."""

    TYPE: ClassVar[str] = "tilts.report.approved"

    report_id: Id
    note: OptionalLongText = None


class ReportReturned(_ReportEvent):
    """The coordinator returned the report for changes."""

    TYPE: ClassVar[str] = "tilts.report.returned"

    report_id: Id
    note: OptionalLongText = None
