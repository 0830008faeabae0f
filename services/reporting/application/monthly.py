"""The monthly report's state and shape: status, narrative, and figures as submitted and as now.

A submitted report keeps the sequence it was submitted at. Its figures are computed as of that
sequence, so they can always be reproduced; if events recorded later (an offline phone syncing,
a late acknowledgement) changed the month, `amended_after_submission` is true and `live` holds
the figures as of the answer's `as_of_sequence`.

`cooperations_list` names each cooperation of the month (institution, contact, answer) as the
ledger has it as of `as_of_sequence`, like `live`: the institutions' answers usually come after
the mediator submits, and the list is where an auditor sees them. Each item's `sequence` (and its
answer's) tells whether it came after `submitted_sequence`. `referrals_list` does the same for the
month's referrals: the institution, the service, and how far each has gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .periods import Period, riga_text

FIGURE_KEYS = ("mediators_active", "families_supported", "families_regular", "families_episodic", "persons_helped",
               "activities", "cooperations", "outcomes", "referrals")


@dataclass(frozen=True)
class ReportStep:
    """One submission, approval or return of a report."""

    report_id: str
    sequence: int
    action: str  # submitted | approved | returned
    time: datetime
    actor: str
    narrative: dict | None = None
    note: str | None = None


@dataclass(frozen=True)
class ReportState:
    """Where a mediator's report for a month stands."""

    status: str  # draft | submitted | approved | returned
    report_id: str | None = None
    submitted: ReportStep | None = None
    review: ReportStep | None = None

    @property
    def submitted_sequence(self) -> int | None:
        return self.submitted.sequence if self.submitted else None


def report_state(steps: Sequence[ReportStep]) -> ReportState:
    """The state after these steps (in sequence order); a month with none is a draft."""
    if not steps:
        return ReportState("draft")
    last = steps[-1]
    submitted = next((s for s in reversed(steps) if s.action == "submitted"), None)
    review = last if last.action != "submitted" else None
    return ReportState(last.action, last.report_id, submitted, review)


def monthly_report(*, mediator_id: str, mediator_name: str, month: str, as_of: int, state: ReportState,
                   figures: dict[str, Any], live: dict[str, Any] | None,
                   cooperations_list: Sequence[dict[str, Any]] = (),
                   referrals_list: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The monthly report JSON.

    `figures` are as of the submission (or as of `as_of` for a draft): {"municipalities", "total"};
    `live` the same as of `as_of` when the report was submitted, else None; `cooperations_list`
    the month's cooperations as of `as_of`, in time order; `referrals_list` its referrals as of
    `as_of`, in the order they were made.
    """
    period = Period.of_month(month)
    figures_as_of = state.submitted_sequence if state.submitted else as_of
    amended = live is not None and live != figures
    report: dict[str, Any] = {
        "mediator_id": mediator_id, "mediator_name": mediator_name, "month": month,
        "from": period.first_day.isoformat(), "to": period.last_day.isoformat(),
        "as_of_sequence": as_of, "status": state.status, "report_id": state.report_id,
        "submitted_sequence": state.submitted_sequence,
        "submitted_at": riga_text(state.submitted.time) if state.submitted else None,
        "reviewed_at": riga_text(state.review.time) if state.review else None,
        "review_note": state.review.note if state.review else None,
        "narrative": state.submitted.narrative if state.submitted else None,
        "figures_as_of_sequence": figures_as_of,
        **figures["total"],
        "municipalities": figures["municipalities"],
        "amended_after_submission": amended,
        "cooperations_list": list(cooperations_list),
        "referrals_list": list(referrals_list),
    }
    if amended and live is not None:
        report["live"] = {"as_of_sequence": as_of, **live["total"], "municipalities": live["municipalities"]}
    return report


def _without_acknowledgements(figures: dict[str, Any]) -> dict[str, Any]:
    """One set of figures with the acknowledgement counts blanked out."""
    cooperations = figures["cooperations"]
    return {**{key: figures[key] for key in FIGURE_KEYS}, "cooperations": {
        **cooperations, "acknowledged": None,
        "by_institution": [{**i, "acknowledged": None} for i in cooperations["by_institution"]]}}


def acknowledged_since_submission(report: dict[str, Any]) -> int | None:
    """How many more cooperations institutions acknowledged after the report was submitted, when
    that is all that changed in its figures; None when anything else changed too (or nothing did).

    Late acknowledgements are the usual reason a month reads as amended: the institution answers
    days after the mediator submitted, and a page can say just that instead of "events were
    recorded after submission".
    """
    live = report.get("live")
    if not live:
        return None
    then = [_without_acknowledgements(report), *map(_without_acknowledgements, report["municipalities"])]
    now = [_without_acknowledgements(live), *map(_without_acknowledgements, live["municipalities"])]
    more = live["cooperations"]["acknowledged"] - report["cooperations"]["acknowledged"]
    same_places = [m["municipality_id"] for m in report["municipalities"]] == \
        [m["municipality_id"] for m in live["municipalities"]]
    return more if then == now and same_places and more > 0 else None
