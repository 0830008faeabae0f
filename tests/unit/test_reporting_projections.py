"""Given a stored event -> the row changes each read model makes (pure; no database)."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting.projections.changes import Add, Insert, Mark, Update, _combined, insert_sql, update_sql
from services.reporting.projections.dispatch import changes_for, cooperations_answered, first_occurrences, rows_for
from services.reporting.projections.facts import fact_of
from services.reporting.projections.known import Known
from shared.events.catalogue import UnknownEventType

from examples import sealed
from reporting_events import (FAM, M1, MED, PEDAGOGUE, SCHOOL, TEACHER, Log, activity, case_opened,
                              cooperation)


def _rows(log: Log, type_: str, data: dict, cases: dict[str, str] | None = None, **envelope: object) -> list:
    return [c for c in rows_for(fact_of(log.add(type_, data, **envelope)), Known(cases or {}))
            if not c.table.startswith(("month_", "year_"))]  # the monthly tallies have tests of their own


def _tables(changes: list) -> list[tuple[str, str]]:
    return [(type(c).__name__, c.table) for c in changes]


def test_an_activity_for_a_family_is_a_fact_a_family_day_person_days_and_a_mediator_day() -> None:
    changes = _rows(Log(), *activity("a1", family_id=FAM, person_ids=["p1", "p2"]))
    assert _tables(changes) == [("Insert", "activities"), ("Insert", "mediator_days"), ("Insert", "family_days"),
                                ("Insert", "person_days"), ("Insert", "person_days")]
    fact = changes[0].row
    assert fact["activity_id"] == "a1" and fact["mediator_id"] == MED and fact["municipality_id"] == M1
    assert fact["local_date"] == date(2020, 1, 14) and fact["sequence"] == 1 and fact["family_id"] == FAM
    assert {c.row["person_id"] for c in changes[3:]} == {"p1", "p2"}


def test_an_activity_on_a_case_reaches_the_family_of_the_case() -> None:
    changes = _rows(Log(), *activity("a1", case_id="case-1"), cases={"case-1": FAM})
    assert changes[0].row["family_id"] == FAM and changes[0].row["case_id"] == "case-1"
    assert changes[2] == Insert("family_days", {"municipality_id": M1, "mediator_id": MED, "family_id": FAM,
                                                "local_date": date(2020, 1, 14), "sequence": 1})


def test_an_activity_without_a_family_counts_the_mediator_but_no_family() -> None:
    changes = _rows(Log(), *activity("a1", kind="community_event", municipality_id=M1))
    assert _tables(changes) == [("Insert", "activities"), ("Insert", "mediator_days")]


def test_a_cooperation_on_a_case_names_institution_contact_and_the_cases_family() -> None:
    changes = _rows(Log(), *cooperation("co1", SCHOOL, PEDAGOGUE, case_id="case-1"), cases={"case-1": FAM})
    row = changes[0].row
    assert (row["institution_id"], row["contact_id"], row["family_id"], row["case_id"]) == (
        SCHOOL, PEDAGOGUE, FAM, "case-1")
    assert ("Insert", "family_days") in _tables(changes)
    assert ("Insert", "person_days") not in _tables(changes)


def test_an_acknowledgement_records_the_answer_its_contact_and_its_sequence() -> None:
    log = Log()
    recorded = fact_of(log.add(*cooperation("co1")))
    answered = fact_of(log.add("tilts.cooperation.acknowledged", {
        "cooperation_id": "co1", "contact_id": TEACHER, "note": "Tikāmies 14. janvārī"},
        actor="school-api", role="institution", time="2020-02-03T09:00:00+02:00"))
    [change] = [c for c in changes_for([recorded, answered], Known()) if isinstance(c, Update)]
    assert change == Update("cooperations", {"cooperation_id": "co1"}, {
        "answer": "acknowledged", "answer_sequence": 2, "answered_at": answered.time,
        "answer_contact_id": TEACHER, "answer_note": "Tikāmies 14. janvārī", "answer_event_id": answered.event_id})


def test_a_dispute_keeps_the_institutions_reason_and_counts_in_the_cooperations_month() -> None:
    log = Log()
    recorded = fact_of(log.add(*cooperation("co1")))
    disputed = fact_of(log.add("tilts.cooperation.disputed", {
        "cooperation_id": "co1", "contact_id": TEACHER, "reason": "Tāda tikšanās nenotika"},
        actor="school-api", role="institution", time="2020-03-03T09:00:00+02:00"))
    changes = changes_for([recorded, disputed], Known())
    [change] = [c for c in changes if isinstance(c, Update)]
    assert change.values["answer"] == "disputed" and change.values["answer_note"] == "Tāda tikšanās nenotika"
    counted = [c.values for c in changes if c.table == "month_cooperations"]
    assert counted == [{"n": 1, "acknowledged": 0, "disputed": 0}, {"n": 0, "acknowledged": 0, "disputed": 1}]
    assert cooperations_answered([recorded, disputed]) == {"co1"}


@pytest.mark.parametrize("move", ["accepted", "completed", "declined"])
def test_each_referral_move_sets_its_own_sequence_time_and_note(move: str) -> None:
    [change] = _rows(Log(), f"tilts.referral.{move}", {"referral_id": "r1", "note": "ok"})
    assert change.key == {"referral_id": "r1"}
    assert set(change.values) == {f"{move}_sequence", f"{move}_at", f"{move}_note"}


def test_a_referral_and_an_outcome_reach_the_family_through_their_case() -> None:
    cases = {"case-1": FAM}
    log = Log()
    referral = _rows(log, "tilts.referral.made", {"referral_id": "r1", "case_id": "case-1",
                                                  "institution_id": SCHOOL, "service": "konsultācija"}, cases)
    outcome = _rows(log, "tilts.outcome.recorded", {"outcome_id": "o1", "case_id": "case-1",
                                                    "kind": "school_enrolled", "person_ids": ["p1"]}, cases)
    assert referral[0].row["family_id"] == FAM and outcome[0].row["family_id"] == FAM
    assert [c.row["person_id"] for c in outcome if c.table == "person_days"] == ["p1"]


def test_a_family_keeps_its_sealed_block_with_the_event_id_that_opens_it() -> None:
    log = Log()
    [change] = _rows(log, "tilts.family.registered", {
        "family_id": FAM, "municipality_id": M1, "consent": {"given_on": "2020-01-02", "scope": "mediācija"},
        "personal": sealed(FAM)})
    assert change.row["personal"] == sealed(FAM)
    assert change.row["event_id"] == log.events[-1].id
    assert change.row["consent_given_on"] == date(2020, 1, 2)


def test_erasure_marks_the_family_and_clears_every_sealed_block_it_had() -> None:
    changes = _rows(Log(), "tilts.family.erased", {"family_id": FAM, "reason": "ģimenes lūgums"},
                    actor="coord", role="coordinator")
    assert changes[0].values["personal"] is None and changes[0].values["erasure_reason"] == "ģimenes lūgums"
    assert changes[1] == Update("persons", {"family_id": FAM}, {"personal": None})


def test_a_submitted_report_belongs_to_its_author_and_keeps_its_narrative_and_sequence() -> None:
    narrative = {"main_issues": "skola", "glad_about": "darbs", "challenges": "valoda", "next_priorities": "NVA"}
    changes = _rows(Log(), "tilts.report.submitted", {"report_id": "rep-1", "month": "2020-01",
                                                      "narrative": narrative}, municipality="_")
    assert changes[0] == Insert("reports", {"report_id": "rep-1", "mediator_id": MED, "month": "2020-01",
                                            "sequence": 1})
    assert changes[1].row["action"] == "submitted" and changes[1].row["narrative"] == narrative


def test_an_approval_is_a_step_in_the_reports_history() -> None:
    [change] = _rows(Log(), "tilts.report.approved", {"report_id": "rep-1"}, actor="coord", role="coordinator")
    assert change.table == "report_history" and change.row["action"] == "approved"
    assert change.row["actor"] == "coord"


def test_a_mediator_registered_again_adds_a_registration_rather_than_replacing_one() -> None:
    log = Log()
    first = _rows(log, "tilts.mediator.registered", {"mediator_id": MED, "display_name": "Marta",
                                                     "municipality_ids": [M1]})
    again = _rows(log, "tilts.mediator.registered", {"mediator_id": MED, "display_name": "Marta",
                                                     "municipality_ids": [M1, "balvi"]})
    assert (first[0].row["sequence"], again[0].row["sequence"]) == (1, 2)
    assert again[0].row["municipality_ids"] == [M1, "balvi"]


@pytest.mark.parametrize(("time", "day"), [
    ("2020-03-29T00:30:00Z", date(2020, 3, 29)),       # 02:30 EET, half an hour before clocks go forward
    ("2020-03-28T22:30:00Z", date(2020, 3, 29)),       # 00:30 in Riga is already the next day
    ("2020-03-31T21:30:00Z", date(2020, 4, 1)),        # 00:30 EEST on 1 April: April, not March
    ("2020-10-24T21:30:00Z", date(2020, 10, 25)),      # 00:30 EEST on the night clocks go back
    ("2020-10-31T22:30:00Z", date(2020, 11, 1)),       # 00:30 EET on 1 November
    ("2020-01-14T23:30:00-05:00", date(2020, 1, 15)),  # a phone abroad: its day is Riga's next day
])
def test_the_day_of_a_fact_is_its_calendar_day_in_riga_whatever_offset_was_sent(time: str, day: date) -> None:
    assert fact_of(Log().add(*activity("a1", municipality_id=M1), time=time)).local_date == day


def test_an_event_type_outside_the_catalogue_is_refused_loudly() -> None:
    with pytest.raises(UnknownEventType):
        fact_of(Log().add("tilts.something.unheard_of", {}))


def test_malformed_data_is_refused_loudly() -> None:
    with pytest.raises(ValueError):
        fact_of(Log().add("tilts.cooperation.recorded", {"cooperation_id": "co1"}))


def test_the_same_event_id_twice_in_a_batch_is_kept_once() -> None:
    log = Log()
    first = log.add(*activity("a1", municipality_id=M1), event_id="same")
    again = log.add(*activity("a1", municipality_id=M1), event_id="same")
    other = log.add(*activity("a2", municipality_id=M1))
    assert first_occurrences([first, again, other]) == [first, other]


def test_a_case_opened_earlier_in_the_same_batch_gives_later_facts_their_family() -> None:
    log = Log()
    facts = [fact_of(log.add(*case_opened("case-1"))), fact_of(log.add(*activity("a1", case_id="case-1")))]
    changes = changes_for(facts, Known())
    assert [c.row["family_id"] for c in changes if c.table == "family_days"] == [FAM]


def test_the_writer_inserts_in_event_order_without_overwriting_and_updates_by_key() -> None:
    source = "unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(activity_id, kind, ordinal_)"
    assert insert_sql("s", "activities", ["activity_id", "kind"], source, "u.activity_id, u.kind") == (
        'INSERT INTO "s".activities (activity_id, kind) SELECT u.activity_id, u.kind FROM ' + source
        + " ORDER BY u.ordinal_ ON CONFLICT DO NOTHING")
    assert update_sql("s", "cases", ["case_id"], ["resolution"], "src", "u.resolution, u.case_id") == (
        'UPDATE "s".cases AS t SET resolution = v.resolution FROM (SELECT u.resolution, u.case_id FROM src) AS v'
        " WHERE t.case_id = v.case_id")


def test_monthly_tallies_count_work_in_the_riga_month_it_happened() -> None:
    log = Log()
    fact = fact_of(log.add(*activity("a1", family_id=FAM, person_ids=["p1"], kind="interpreting", domain="legal"),
                           time="2020-03-31T21:30:00Z"))  # 1 April in Riga
    tallies = [c for c in rows_for(fact, Known()) if c.table.startswith(("month_", "year_"))]
    april = date(2020, 4, 1)
    assert tallies == [
        Add("month_activities", {"municipality_id": M1, "month": april, "kind": "interpreting", "domain": "legal"},
            {"n": 1, "participants": 0}),
        Insert("month_mediators", {"municipality_id": M1, "month": april, "mediator_id": MED}),
        Mark("month_families", {"municipality_id": M1, "month": april, "family_id": FAM}, {"days": 1}),
        Mark("year_persons", {"municipality_id": M1, "family_id": FAM, "person_id": "p1", "year": 2020},
             {"months": 1 << 3})]


def test_an_acknowledgement_adds_to_the_tally_of_the_cooperations_own_month() -> None:
    log = Log()
    recorded = fact_of(log.add(*cooperation("co1", family_id=FAM), time="2020-01-30T10:00:00+02:00"))
    answered = fact_of(log.add("tilts.cooperation.acknowledged", {"cooperation_id": "co1", "contact_id": TEACHER},
                               actor="school-api", role="institution", time="2020-02-03T09:00:00+02:00"))
    adds = [c for c in changes_for([recorded, answered], Known()) if isinstance(c, Add)]
    key = {"municipality_id": M1, "month": date(2020, 1, 1), "institution_id": SCHOOL, "domain": "education"}
    assert adds == [Add("month_cooperations", key, {"n": 1, "acknowledged": 0, "disputed": 0}),
                    Add("month_cooperations", key, {"n": 0, "acknowledged": 1, "disputed": 0})]


def test_tallies_of_one_key_in_a_batch_are_summed_or_merged_into_one_row() -> None:
    key = {"municipality_id": M1, "month": date(2020, 1, 1), "family_id": FAM}
    marks = [Mark("month_families", key, {"days": 1 << 5}), Mark("month_families", key, {"days": 1 << 6}),
             Mark("month_families", key, {"days": 1 << 5})]
    assert _combined(marks) == [(M1, date(2020, 1, 1), FAM, (1 << 5) | (1 << 6))]
    adds = [Add("month_outcomes", {"kind": "job_obtained"}, {"n": 1}),
            Add("month_outcomes", {"kind": "job_obtained"}, {"n": 1}),
            Add("month_outcomes", {"kind": "benefit_granted"}, {"n": 1})]
    assert _combined(adds) == [("job_obtained", 2), ("benefit_granted", 1)]
