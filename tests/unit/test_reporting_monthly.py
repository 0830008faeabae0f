"""A monthly report's status, narrative and figures: as submitted, and live when amended since."""

from __future__ import annotations

from datetime import UTC, datetime

from services.reporting.application.monthly import (ReportStep, acknowledged_since_submission, monthly_report,
                                                    report_state)

NARRATIVE = {"main_issues": "skola", "glad_about": "darbs", "challenges": "valoda", "next_priorities": "NVA"}
AT = datetime(2020, 1, 31, 14, 0, tzinfo=UTC)


def _step(sequence: int, action: str, **extra: object) -> ReportStep:
    return ReportStep("rep-1", sequence, action, AT, "someone", **extra)  # type: ignore[arg-type]


def _figures(activities: int) -> dict:
    total = {"mediators_active": 1, "families_supported": 2, "activities": {"total": activities},
             "referrals": {"total": 1}}
    return {"municipalities": [{"municipality_id": "jelgava", "name": "Jelgava", **total}], "total": total}


def test_a_month_without_a_report_is_a_draft_with_figures_as_of_now() -> None:
    report = monthly_report(mediator_id="med-1", mediator_name="Marta", month="2020-01", as_of=90,
                            state=report_state([]), figures=_figures(5), live=None)
    assert report["status"] == "draft" and report["narrative"] is None and report["report_id"] is None
    assert report["figures_as_of_sequence"] == 90 and report["amended_after_submission"] is False
    assert (report["from"], report["to"]) == ("2020-01-01", "2020-01-31")
    assert report["activities"] == {"total": 5} and "live" not in report


def test_the_last_step_gives_the_status_and_the_last_submission_the_narrative_and_sequence() -> None:
    state = report_state([_step(10, "submitted", narrative={"main_issues": "old"}), _step(12, "returned", note="x"),
                          _step(15, "submitted", narrative=NARRATIVE), _step(18, "approved", note="paldies")])
    assert (state.status, state.submitted_sequence, state.submitted.narrative) == ("approved", 15, NARRATIVE)
    assert state.review is not None and state.review.note == "paldies"


def test_a_returned_report_awaits_resubmission_with_the_coordinators_note() -> None:
    state = report_state([_step(10, "submitted", narrative=NARRATIVE), _step(12, "returned", note="precizēt")])
    report = monthly_report(mediator_id="med-1", mediator_name="Marta", month="2020-01", as_of=20, state=state,
                            figures=_figures(5), live=_figures(5))
    assert report["status"] == "returned" and report["review_note"] == "precizēt"


def test_a_submitted_report_keeps_its_figures_and_shows_later_changes_as_live() -> None:
    state = report_state([_step(40, "submitted", narrative=NARRATIVE)])
    report = monthly_report(mediator_id="med-1", mediator_name="Marta", month="2020-01", as_of=90, state=state,
                            figures=_figures(5), live=_figures(7))
    assert report["figures_as_of_sequence"] == 40 and report["submitted_sequence"] == 40
    assert report["activities"] == {"total": 5}
    assert report["amended_after_submission"] is True
    assert report["live"]["as_of_sequence"] == 90 and report["live"]["activities"] == {"total": 7}
    assert report["submitted_at"] == "2020-01-31T16:00:00+02:00"


def test_a_submitted_report_that_nothing_changed_since_has_no_live_part() -> None:
    state = report_state([_step(40, "submitted", narrative=NARRATIVE)])
    report = monthly_report(mediator_id="med-1", mediator_name="Marta", month="2020-01", as_of=90, state=state,
                            figures=_figures(5), live=_figures(5))
    assert report["amended_after_submission"] is False and "live" not in report


def _with_cooperations(figures: dict, acknowledged: int, by_institution: int | None = None) -> dict:
    cooperations = {"total": 5, "acknowledged": acknowledged, "by_domain": {"education": 5}, "by_institution": [
        {"institution_id": "inst-1", "name": "Skola", "count": 5,
         "acknowledged": acknowledged if by_institution is None else by_institution}]}
    total = {**figures["total"], "families_regular": 1, "families_episodic": 1, "persons_helped": 3,
             "outcomes": {"total": 0, "by_kind": {}}, "cooperations": cooperations}
    return {"municipalities": [{**figures["municipalities"][0], **total}], "total": total}


def _report(then: dict, now: dict) -> dict:
    state = report_state([_step(40, "submitted", narrative=NARRATIVE)])
    return monthly_report(mediator_id="med-1", mediator_name="Marta", month="2020-01", as_of=90, state=state,
                          figures=then, live=now)


def test_when_only_acknowledgements_came_after_submission_the_report_can_say_how_many() -> None:
    report = _report(_with_cooperations(_figures(5), 1), _with_cooperations(_figures(5), 3))
    assert report["amended_after_submission"] is True  # the flag keeps its meaning
    assert acknowledged_since_submission(report) == 2


def test_when_anything_else_changed_too_it_is_not_only_acknowledgements() -> None:
    assert acknowledged_since_submission(_report(_with_cooperations(_figures(5), 1),
                                                 _with_cooperations(_figures(6), 3))) is None
    unchanged = _report(_with_cooperations(_figures(5), 1), _with_cooperations(_figures(5), 1))
    assert unchanged["amended_after_submission"] is False and acknowledged_since_submission(unchanged) is None
