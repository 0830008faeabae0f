"""Given recorded work -> the report figures (projection's pure code, in-memory rows, pure composition)."""

from __future__ import annotations

from datetime import date

from services.reporting.application.figures import Place, by_municipality, figures
from services.reporting.application.periods import Period

from reporting_events import (FAM, FAM2, M1, M2, MED, MED2, PEDAGOGUE, SCHOOL, SOCIAL, SOCIAL_WORKER, TEACHER,
                              Log, activity, case_opened, cooperation, world)
from tests.support.reporting_memory import MemoryReadModels

JANUARY = Period.of_month("2020-01")
NAMES = {SCHOOL: "Jelgavas Ozolu pamatskola", SOCIAL: "Balvu sociālais dienests"}


def _figures(log: Log, period: Period = JANUARY, *, as_of: int | None = None, municipality: str | None = None,
             mediator: str | None = None, batch: int = 100) -> dict:
    models = MemoryReadModels()
    for start in range(0, len(log.events), batch):
        models.apply(log.events[start:start + batch])
    rows = models.figure_rows(period.first_day, period.last_day, log.sequence if as_of is None else as_of,
                              mediator_id=mediator)
    return figures(rows, NAMES, municipality)


def _on(day: int, hour: int = 10) -> str:
    return f"2020-01-{day:02d}T{hour:02d}:00:00+02:00"


def test_a_family_reached_on_three_distinct_days_is_regular_and_on_two_episodic() -> None:
    log = world(Log())
    for n, day in enumerate((6, 7, 8)):
        log.add(*activity(f"a{n}", family_id=FAM), time=_on(day))
    for n, day in enumerate((6, 9)):
        log.add(*activity(f"b{n}", family_id=FAM2), time=_on(day), municipality=M2, actor=MED2)
    result = _figures(log)
    assert (result["families_supported"], result["families_regular"], result["families_episodic"]) == (2, 1, 1)


def test_several_contacts_on_one_day_count_as_one_day() -> None:
    log = world(Log())
    log.add(*activity("a1", family_id=FAM), time=_on(6, 9))
    log.add(*cooperation("co1", family_id=FAM), time=_on(6, 11))
    log.add(*cooperation("co2", SCHOOL, PEDAGOGUE, family_id=FAM), time=_on(6, 15))
    log.add(*activity("a2", family_id=FAM), time=_on(7))
    result = _figures(log)
    assert (result["families_regular"], result["families_episodic"]) == (0, 1)
    assert result["cooperations"]["total"] == 2 and result["activities"]["total"] == 2


def test_a_family_reached_only_through_its_case_is_supported() -> None:
    log = world(Log())
    log.add(*case_opened("case-1"), time=_on(2))
    log.add(*cooperation("co1", case_id="case-1"), time=_on(6))
    log.add("tilts.referral.made", {"referral_id": "r1", "case_id": "case-1", "institution_id": SCHOOL,
                                    "service": "konsultācija"}, time=_on(7))
    log.add("tilts.outcome.recorded", {"outcome_id": "o1", "case_id": "case-1", "kind": "school_enrolled",
                                       "person_ids": [f"{FAM}-child"]}, time=_on(8))
    result = _figures(log)
    assert (result["families_supported"], result["families_regular"], result["persons_helped"]) == (1, 1, 1)
    assert result["outcomes"] == {"total": 1, "by_kind": {"school_enrolled": 1}}


def test_opening_a_case_is_not_itself_support() -> None:
    log = world(Log())
    log.add(*case_opened("case-1"), time=_on(2))
    assert _figures(log)["families_supported"] == 0


def test_persons_helped_are_distinct_family_members_named_by_activities_and_outcomes() -> None:
    log = world(Log())
    child = f"{FAM}-child"
    log.add(*case_opened("case-1"), time=_on(2))
    log.add(*activity("a1", family_id=FAM, person_ids=[child]), time=_on(6))
    log.add(*activity("a2", case_id="case-1", person_ids=[child]), time=_on(7))
    log.add("tilts.outcome.recorded", {"outcome_id": "o1", "case_id": "case-1", "kind": "attendance_improved",
                                       "person_ids": [child]}, time=_on(8))
    log.add(*activity("b1", family_id=FAM2, person_ids=[f"{FAM2}-child"]), time=_on(8), municipality=M2, actor=MED2)
    assert _figures(log)["persons_helped"] == 2


def test_the_months_on_either_side_of_a_clock_change_take_their_own_events() -> None:
    log = world(Log())
    log.add(*activity("march", family_id=FAM), time="2020-03-31T23:30:00+03:00")  # 31 March in Riga
    log.add(*activity("april", family_id=FAM), time="2020-03-31T21:30:00Z")       # 00:30 on 1 April in Riga
    log.add(*activity("october", family_id=FAM), time="2020-10-31T21:30:00Z")     # 23:30 EET on 31 October
    log.add(*activity("november", family_id=FAM), time="2020-10-31T22:30:00Z")    # 00:30 on 1 November
    months = {month: _figures(log, Period.of_month(month))["activities"]["total"]
              for month in ("2020-03", "2020-04", "2020-10", "2020-11")}
    assert months == {"2020-03": 1, "2020-04": 1, "2020-10": 1, "2020-11": 1}


def test_a_day_with_the_clock_change_counts_once_per_family() -> None:
    log = world(Log())
    log.add(*activity("before", family_id=FAM), time="2020-10-25T03:30:00+03:00")  # first 03:30 on 25 October
    log.add(*activity("after", family_id=FAM), time="2020-10-25T03:30:00+02:00")   # the repeated hour
    log.add(*activity("next", family_id=FAM), time="2020-10-26T10:00:00+02:00")
    result = _figures(log, Period(date(2020, 10, 1), date(2020, 10, 31)))
    assert result["activities"]["total"] == 3 and result["families_episodic"] == 1


def test_a_late_event_counts_in_the_month_it_happened_from_the_sequence_it_arrived() -> None:
    log = world(Log())
    log.add(*activity("a1", family_id=FAM), time=_on(6))
    log.add(*activity("a2", family_id=FAM), time=_on(7))
    before = log.sequence
    log.add(*activity("feb", family_id=FAM), time="2020-02-03T10:00:00+02:00")
    log.add(*activity("offline", family_id=FAM), time=_on(8))  # a phone syncing weeks later
    assert _figures(log)["families_regular"] == 1
    assert _figures(log, as_of=before)["families_regular"] == 0
    assert _figures(log, Period.of_month("2020-02"))["activities"]["total"] == 1


def test_an_event_stored_twice_under_one_id_counts_once_within_and_across_batches() -> None:
    log = world(Log())
    log.add(*activity("a1", family_id=FAM), time=_on(6), event_id="resent")
    log.add(*activity("a1", family_id=FAM), time=_on(6), event_id="resent")
    log.add(*cooperation("co1", family_id=FAM), time=_on(7), event_id="again")
    log.add(*cooperation("co1", family_id=FAM), time=_on(7), event_id="again")
    for batch in (100, 1):
        result = _figures(log, batch=batch)
        assert result["activities"]["total"] == 1 and result["cooperations"]["total"] == 1


def test_answers_count_as_of_their_own_sequence_and_institutions_are_sorted() -> None:
    log = world(Log())
    log.add(*cooperation("co1", family_id=FAM), time=_on(6))
    log.add(*cooperation("co2", SCHOOL, PEDAGOGUE, family_id=FAM), time=_on(7))
    log.add(*cooperation("co3", SOCIAL, SOCIAL_WORKER, family_id=FAM2), time=_on(7), municipality=M2, actor=MED2)
    recorded = log.sequence
    log.add("tilts.cooperation.acknowledged", {"cooperation_id": "co2", "contact_id": TEACHER},
            actor="school", role="institution", time="2020-02-02T10:00:00+02:00")
    log.add("tilts.cooperation.disputed", {"cooperation_id": "co3", "contact_id": SOCIAL_WORKER,
                                           "reason": "Tikšanās nenotika"},
            actor="social", role="institution", time="2020-02-03T10:00:00+02:00")
    now = _figures(log)["cooperations"]
    assert (now["acknowledged"], now["disputed"], now["by_domain"]) == (1, 1, {"education": 3})
    assert now["by_institution"] == [
        {"institution_id": SCHOOL, "name": NAMES[SCHOOL], "count": 2, "acknowledged": 1, "disputed": 0},
        {"institution_id": SOCIAL, "name": NAMES[SOCIAL], "count": 1, "acknowledged": 0, "disputed": 1}]
    then = _figures(log, as_of=recorded)["cooperations"]
    assert (then["acknowledged"], then["disputed"]) == (0, 0)


def test_a_mediator_working_in_two_municipalities_is_active_in_each_and_once_in_total() -> None:
    log = world(Log())
    log.add(*activity("a1", family_id=FAM), time=_on(6), actor=MED2)
    log.add(*activity("a2", family_id=FAM2), time=_on(6), actor=MED2, municipality=M2)
    log.add(*activity("a3", family_id=FAM), time=_on(7))
    models = MemoryReadModels()
    models.apply(log.events)
    rows = models.figure_rows(JANUARY.first_day, JANUARY.last_day, log.sequence)
    report = by_municipality(rows, [Place(M2, "Balvi"), Place(M1, "Jelgava")], NAMES)
    assert [(m["municipality_id"], m["mediators_active"]) for m in report["municipalities"]] == [(M2, 1), (M1, 2)]
    assert report["total"]["mediators_active"] == 2
    assert report["total"]["families_supported"] == 2


def test_a_mediators_own_figures_leave_out_colleagues_work_on_the_same_families() -> None:
    log = world(Log())
    log.add(*activity("mine", family_id=FAM), time=_on(6))
    log.add(*activity("theirs", family_id=FAM), time=_on(7), actor=MED2)
    log.add(*activity("theirs-too", family_id=FAM), time=_on(8), actor=MED2)
    mine = _figures(log, mediator=MED)
    assert mine["activities"]["total"] == 1 and mine["families_episodic"] == 1
    assert _figures(log)["families_regular"] == 1


def test_erasure_leaves_every_count_as_it_was() -> None:
    log = world(Log())
    log.add(*activity("a1", family_id=FAM, person_ids=[f"{FAM}-child"]), time=_on(6))
    before = _figures(log)
    log.add("tilts.family.erased", {"family_id": FAM, "reason": "ģimenes lūgums"}, actor="coord", role="coordinator")
    assert _figures(log) == before


def test_kinds_and_domains_are_counted_and_listed_in_a_stable_order() -> None:
    log = world(Log())
    log.add(*activity("a1", family_id=FAM, kind="interpreting", domain="legal"), time=_on(6))
    log.add(*activity("a2", family_id=FAM, kind="consultation", domain="social"), time=_on(6))
    log.add(*activity("a3", kind="community_event", domain="community", municipality_id=M1), time=_on(7))
    assert _figures(log)["activities"] == {
        "total": 3, "by_kind": {"community_event": 1, "consultation": 1, "interpreting": 1},
        "by_domain": {"community": 1, "legal": 1, "social": 1}, "participants": 0}
    assert list(_figures(log)) == ["mediators_active", "families_supported", "families_regular",
                                   "families_episodic", "persons_helped", "activities", "cooperations", "outcomes",
                                   "referrals"]


def test_participants_are_summed_over_the_activities_that_record_them_per_municipality() -> None:
    log = world(Log())
    log.add(*activity("s1", kind="information_session", domain="employment", municipality_id=M1,
                      participants=18), time=_on(6))
    log.add(*activity("s2", kind="community_event", domain="community", municipality_id=M1, participants=32),
            time=_on(20))
    log.add(*activity("v1", family_id=FAM), time=_on(7))  # no count recorded: adds nothing
    log.add(*activity("s3", kind="information_session", domain="social", municipality_id=M2, participants=7),
            time=_on(8), municipality=M2, actor=MED2)
    log.add(*activity("late", kind="community_event", domain="community", municipality_id=M1, participants=40),
            time="2020-02-01T10:00:00+02:00")
    models = MemoryReadModels()
    models.apply(log.events)
    rows = models.figure_rows(JANUARY.first_day, JANUARY.last_day, log.sequence)
    report = by_municipality(rows, [Place(M1, "Jelgava"), Place(M2, "Balvi")], NAMES)
    assert [m["activities"]["participants"] for m in report["municipalities"]] == [50, 7]
    assert report["total"]["activities"]["participants"] == 57 and report["total"]["activities"]["total"] == 4
    earlier = log.sequence - 2  # before the Balvi session and the February event
    assert _figures(log, as_of=earlier)["activities"]["participants"] == 50


def test_referrals_count_the_steps_the_institutions_had_taken_by_the_reports_sequence() -> None:
    log = world(Log())
    log.add(*case_opened("case-1"), time=_on(2))
    for n, day in enumerate((6, 7, 8, 9)):
        log.add("tilts.referral.made", {"referral_id": f"r{n}", "case_id": "case-1", "institution_id": SCHOOL,
                                        "service": "pagarinātās dienas grupa"}, time=_on(day))
    log.add("tilts.referral.made", {"referral_id": "rs", "case_id": "case-1", "institution_id": SOCIAL,
                                    "service": "trūcīgas mājsaimniecības statuss"}, time=_on(10))
    made = log.sequence

    def answer(step: str, referral_id: str) -> None:
        log.add(f"tilts.referral.{step}", {"referral_id": referral_id}, actor="school-api", role="institution",
                time=_on(20))

    answer("accepted", "r0")
    answer("accepted", "r1")
    answer("completed", "r0")
    answer("declined", "r2")
    assert _figures(log)["referrals"] == {
        "total": 5, "accepted": 2, "completed": 1, "declined": 1,
        "by_institution": [
            {"institution_id": SCHOOL, "name": NAMES[SCHOOL], "count": 4, "accepted": 2, "completed": 1, "declined": 1},
            {"institution_id": SOCIAL, "name": NAMES[SOCIAL], "count": 1, "accepted": 0, "completed": 0,
             "declined": 0}]}
    then = _figures(log, as_of=made + 1)["referrals"]
    assert (then["total"], then["accepted"], then["completed"], then["declined"]) == (5, 1, 0, 0)
    assert _figures(log, Period.of_month("2020-02"))["referrals"] == {
        "total": 0, "accepted": 0, "completed": 0, "declined": 0, "by_institution": []}


def test_work_outside_the_period_is_not_counted() -> None:
    log = world(Log())
    log.add(*activity("dec", family_id=FAM), time="2019-12-31T23:59:00+02:00")
    log.add(*activity("feb", family_id=FAM), time="2020-02-01T00:00:00+02:00")
    result = _figures(log)
    assert result["activities"]["total"] == 0 and result["families_supported"] == 0
