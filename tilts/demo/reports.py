"""Monthly reports and their reviews, and institutions' evaluations at the end of the season."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from shared.words import latvian_count

from .casework import MediatorWork
from .ledger import (PHASE_ANSWERS, PHASE_RESUBMISSIONS, PHASE_REVIEWS, Ledger, Planned,
                     coordinator_of, institution_actor)
from .model import DemoInstitution
from .texts import (APPROVAL_NOTES, CHALLENGES, COVID_CHALLENGES, EVALUATION_TEXTS, GLAD_ABOUT,
                    NARRATIVE, OUTCOME_LABELS, RESUBMISSION_NOTE, RETURN_NOTES)

__all__ = ["plan_evaluations", "plan_monthly_reports"]

_FAMILY_WORK = {"tilts.activity.recorded", "tilts.cooperation.recorded", "tilts.referral.made",
                "tilts.outcome.recorded"}
_EMERGENCY_MONTHS = {"2020-03", "2020-04"}


def plan_monthly_reports(ledger: Ledger, work: MediatorWork) -> None:
    """A report per month, submitted on its last working day and reviewed early next month."""
    rng, calendar = ledger.rng, ledger.calendar
    months = calendar.months()
    place = work.mediator.municipality_ids[0]
    coordinator = coordinator_of(place)
    laptop = f"mediator-app/{work.mediator.id}-laptop"
    for number, month in enumerate(months):
        report_id = f"rep-{work.mediator.id}-{month}"
        narrative = _narrative(ledger, work, month)
        ledger.emit(work.actor, place, "tilts.report.submitted", calendar.of_month(month)[-1], 30,
                    {"report_id": report_id, "month": month, "narrative": narrative}, laptop)
        if number + 1 == len(months):
            continue  # the last month's report still awaits review when the season ends
        review_day = calendar.of_month(months[number + 1])[rng.randint(0, 4)]
        if number + 2 < len(months) and rng.random() < 0.2:
            ledger.emit(coordinator, place, "tilts.report.returned", review_day, 15,
                        {"report_id": report_id, "note": rng.choice(RETURN_NOTES)},
                        "tilts-demo/coordinator", PHASE_REVIEWS)
            resubmitted = calendar.add(review_day, rng.randint(2, 4))
            assert resubmitted is not None
            revised = {**narrative, "challenges": f"{narrative['challenges']}\n{RESUBMISSION_NOTE}"}
            ledger.emit(work.actor, place, "tilts.report.submitted", resubmitted, 20,
                        {"report_id": report_id, "month": month, "narrative": revised}, laptop,
                        PHASE_RESUBMISSIONS)
            review_day = calendar.of_month(months[number + 2])[rng.randint(0, 4)]
        data: dict[str, Any] = {"report_id": report_id}
        note = rng.choice(APPROVAL_NOTES)
        if note:
            data["note"] = note
        ledger.emit(coordinator, place, "tilts.report.approved", review_day, 10, data,
                    "tilts-demo/coordinator", PHASE_REVIEWS)


def _work_of_month(ledger: Ledger, work: MediatorWork, month: str) -> list[Planned]:
    return [p for p in ledger.planned
            if p.actor == work.actor and p.month == month and p.type in _FAMILY_WORK]


def _narrative(ledger: Ledger, work: MediatorWork, month: str) -> dict[str, str]:
    """The mediator's four-part account of the month, with the month's own figures."""
    rng = ledger.rng
    events = _work_of_month(ledger, work, month)
    families = {p.data.get("family_id") or ledger.case_family.get(p.data.get("case_id", ""))
                for p in events} - {None}
    activities = sum(p.type == "tilts.activity.recorded" for p in events)
    cooperations = Counter(p.data["institution_id"] for p in events
                           if p.type == "tilts.cooperation.recorded")
    outcomes = Counter(p.data["kind"] for p in events if p.type == "tilts.outcome.recorded")
    names = {i.id: i.name for inst in ledger.institutions.values() for i in inst}
    main = (f"{NARRATIVE[month]['main']}\nMēnesī strādāju ar "
            f"{latvian_count(len(families), 'ģimeni', 'ģimenēm')}, veicu "
            f"{latvian_count(activities, 'aktivitāti', 'aktivitātes')} un "
            f"{latvian_count(sum(cooperations.values()), 'reizi', 'reizes')} sadarbojos ar iestādēm.")
    if cooperations:
        institution_id, times = cooperations.most_common(1)[0]
        main += f" Visvairāk sadarbību: {names[institution_id]} ({times})."
    glad = rng.choice(GLAD_ABOUT)
    if outcomes:
        results = ", ".join(f"{OUTCOME_LABELS[kind]} ({count})"
                            for kind, count in outcomes.most_common() if kind != "other")
        if results:
            glad = f"Mēneša rezultāti: {results}. {glad}"
    pool = COVID_CHALLENGES if month in _EMERGENCY_MONTHS else CHALLENGES
    challenges = " ".join(rng.sample(pool, 2))
    return {"main_issues": main, "glad_about": glad, "challenges": challenges,
            "next_priorities": NARRATIVE[month]["next"]}


def plan_evaluations(ledger: Ledger, works: list[MediatorWork]) -> None:
    """In April, the institutions a mediator worked with most evaluate the mediator's work."""
    rng = ledger.rng
    april = ledger.calendar.of_month("2020-04")
    by_id = {i.id: i for inst in ledger.institutions.values() for i in inst}
    for work in works:
        cooperations = [p for p in ledger.planned
                        if p.actor == work.actor and p.type == "tilts.cooperation.recorded"]
        counts = Counter(p.data["institution_id"] for p in cooperations)
        chosen: list[DemoInstitution] = []
        wanted = rng.randint(2, 3)
        for institution_id, _ in counts.most_common():
            institution = by_id[institution_id]
            if institution.kind not in {c.kind for c in chosen}:
                chosen.append(institution)
            if len(chosen) == wanted:
                break
        for institution in chosen:
            contacts = Counter(p.data["contact_id"] for p in cooperations
                               if p.data["institution_id"] == institution.id)
            _evaluate(ledger, institution, contacts.most_common(1)[0][0], work.mediator.id,
                      april[rng.randint(8, len(april) - 2)])


def _evaluate(ledger: Ledger, institution: DemoInstitution, contact_id: str, mediator_id: str,
              day: date) -> None:
    rng = ledger.rng
    lukewarm = institution.municipality == "valmiera"  # the seeds: little interest there

    def answer(yes: int, partly: int) -> str:
        if lukewarm:
            yes, partly = yes // 2, partly
        return rng.choices(("yes", "partly", "no"), (yes, partly, max(5, 100 - yes - partly)))[0]

    domain = institution.domains[0] if institution.domains else "community"
    achievements, keep_in_view = EVALUATION_TEXTS.get(domain, EVALUATION_TEXTS["community"])
    ledger.emit(institution_actor(institution), institution.municipality,
                "tilts.evaluation.submitted", day, 30, {
                    "evaluation_id": ledger.ids.next("eval", institution.municipality, width=3),
                    "institution_id": institution.id, "contact_id": contact_id,
                    "mediator_id": mediator_id, "domain": domain,
                    "answers": {"improved_communication": answer(75, 22),
                                "identified_needs": answer(60, 35),
                                "improved_access": answer(55, 40),
                                "coordinated_actions": answer(65, 30),
                                "joint_planning": answer(25, 35),
                                "key_achievements": achievements,
                                "keep_in_view": keep_in_view}},
                "tilts-demo/institution", PHASE_ANSWERS)
