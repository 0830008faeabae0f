"""One mediator's season: families, their cases, activities, cooperations, referrals, outcomes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from .calendar import COVID_EMERGENCY
from .families import FOCUS, Family, FamilyQuota, Person, plan_families
from .institutions import answer_cooperation, answer_referral, find_institution, institution_for
from .ledger import Ledger, mediator_actor
from .model import DemoInstitution, DemoMediator
from .texts import (ACTIVITY_NOTES, COMMUNITY_EVENTS, DOMAIN_WEIGHTS, GENERAL_COOPERATIONS,
                    KEEPING_IN_TOUCH, NEED_WEIGHTS, NEEDS, REMOTE_NOTE, CommunityEvent,
                    GeneralCooperation, NeedTemplate)

__all__ = ["MediatorWork"]

_DURATIONS = {"home_visit": (30, 90), "consultation": (15, 60), "document_assistance": (30, 120),
              "accompaniment": (60, 180), "interpreting": (60, 180),
              "information_session": (30, 90), "community_event": (90, 240), "other": (15, 45)}
_JOINT_VISITS = {"social_service", "orphans_court", "school", "municipal_police", "state_police",
                 "housing"}
_COMMISSIONS = {"social_service", "orphans_court", "education_board", "council"}
_CONSENT_SCOPES = (
    "Mediatora darba uzskaite un sadarbība ar izglītības iestādēm un sociālo dienestu",
    "Mediatora darba uzskaite un sadarbība ar pašvaldības iestādēm un NVA",
)
# Order of a case's events on the same day.
_OPEN, _ACTIVITY, _COOPERATION, _REFERRAL, _OUTCOME, _CLOSE = range(6)

Plan = list[tuple[date, int, Callable[[date], None]]]
"""A case's events to record: (day, order on that day, how to record it)."""


class MediatorWork:
    """Plans everything one mediator does in the season."""

    def __init__(self, ledger: Ledger, mediator: DemoMediator) -> None:
        self.ledger = ledger
        self.mediator = mediator
        self.actor = mediator_actor(mediator)
        self.source = f"mediator-app/{mediator.id}-phone"
        self.rng = ledger.rng
        self.calendar = ledger.calendar
        self.families: list[Family] = []

    def run(self, quotas: list[FamilyQuota]) -> None:
        """Plan the families, their casework, and the community work."""
        for quota in quotas:
            self.families.extend(plan_families(self.ledger, quota))
        for family in self.families:
            self._register(family)
            if family.episodic:
                self._episodic_work(family)
            else:
                self._regular_work(family)
        for month in self.calendar.months():
            self._community_work(month)

    def _emit(self, place: str, event_type: str, day: date, minutes: int,
              data: dict[str, Any]) -> None:
        self.ledger.emit(self.actor, place, event_type, day, minutes, data, self.source)

    def _register(self, family: Family) -> None:
        """The family agrees to work with the mediator; its members are recorded."""
        day, place = family.registered_on, family.municipality
        town = next(m.name for m in self.ledger.municipalities if m.id == place)
        self._emit(place, "tilts.family.registered", day, 10, {
            "family_id": family.id, "municipality_id": place,
            "consent": {"given_on": day.isoformat(), "scope": self.rng.choice(_CONSENT_SCOPES)},
            "personal": {"surname": family.surname.plural,
                         "address": self.ledger.names.address(town),
                         "phone": self.ledger.names.phone()},
        })
        for person in family.persons:
            self._emit(place, "tilts.person.added", day, 2, {
                "family_id": family.id, "person_id": person.id, "relation": person.relation,
                "birth_year": person.birth_year,
                "personal": {"given_name": person.given_name, "surname": person.surname},
            })

    # --- cases -----------------------------------------------------------------------------

    def _regular_work(self, family: Family) -> None:
        """Several cases over weeks or months, the first opened on registration."""
        calendar = self.calendar
        cases = self.rng.choice((1, 2, 2, 3, 3, 4))
        latest = min(calendar.add(family.registered_on, 100) or calendar.last,
                     calendar.add(calendar.last, -12) or calendar.last)
        later = calendar.between(family.registered_on, latest)[1:] or [family.registered_on]
        days = [family.registered_on] + sorted(self.rng.choice(later) for _ in range(cases - 1))
        if family.registered_on < COVID_EMERGENCY and self.rng.random() < 0.3:
            # remote learning, food packages: the emergency brought new needs
            days.append(self.rng.choice(calendar.between(
                COVID_EMERGENCY, calendar.add(calendar.last, -8) or calendar.last)))
        for number, day in enumerate(days):
            template = self._pick_need(family, day)
            if template is not None:
                self._case(family, template, day, first=number == 0)
        self._keep_in_touch(family)

    def _keep_in_touch(self, family: Family) -> None:
        """Visits and calls outside any case, in about half the months after registration."""
        for month in self.calendar.months():
            days = [d for d in self.calendar.of_month(month) if d > family.registered_on]
            if not days or self.rng.random() < 0.5:
                continue
            day = self.rng.choice(days)
            remote = day >= COVID_EMERGENCY
            kind = "consultation" if remote else self.rng.choice(("home_visit", "consultation"))
            named = self._some(family.helped)
            schooling = any(FOCUS["pupil"](p) or FOCUS["preschool"](p) for p in named)
            data: dict[str, Any] = {
                "activity_id": self.ledger.ids.next("act", family.municipality), "kind": kind,
                "domain": "education" if schooling else "social", "family_id": family.id,
                "person_ids": [p.id for p in named],
                "duration_minutes": self.rng.randrange(15, 65, 5),
                "note": REMOTE_NOTE if remote else KEEPING_IN_TOUCH}
            self._emit(family.municipality, "tilts.activity.recorded", day, 30, data)

    def _pick_need(self, family: Family, day: date) -> NeedTemplate | None:
        """A need that fits the family's helped persons and the time, not yet worked on."""
        covid = day >= COVID_EMERGENCY
        fits = [t for t in NEEDS
                if t.need not in family.needs and (t.covid is None or t.covid == covid)
                and any(FOCUS[t.focus](p) for p in family.helped)]
        if not fits:
            return None
        if covid and self.rng.random() < 0.6 and any(t.covid for t in fits):
            fits = [t for t in fits if t.covid]
        domains = sorted({t.domain for t in fits}, key=list(DOMAIN_WEIGHTS).index)
        domain = self.rng.choices(domains, [DOMAIN_WEIGHTS[d] for d in domains])[0]
        candidates = [t for t in fits if t.domain == domain]
        weights = [NEED_WEIGHTS.get(t.need, 1) for t in candidates]
        template = self.rng.choices(candidates, weights)[0]
        family.needs.add(template.need)
        return template

    def _open(self, family: Family) -> str:
        case_id = self.ledger.ids.next("case", family.municipality)
        self.ledger.case_family[case_id] = family.id
        return case_id

    def _case(self, family: Family, template: NeedTemplate, opened: date, first: bool) -> None:
        """One case from opening to (often) closing, planned first, then recorded in order."""
        rng, calendar = self.rng, self.calendar
        case_id = self._open(family)
        focus = [p for p in family.helped if FOCUS[template.focus](p)]
        end = calendar.add(opened, rng.randint(8, 60)) or calendar.last
        window = calendar.between(opened, end)
        visits = min(len(window), rng.randint(3 if first else 2, 7))
        activity_days = [opened] + sorted(rng.sample(window[1:], visits - 1))
        plan: Plan = [(opened, _OPEN, lambda d: self._open_case(case_id, family, template, d))]
        for n, day in enumerate(activity_days):
            # The first visit to a family names everyone the season's work is about.
            named = family.helped if first and n == 0 else self._some(focus)
            plan.append((day, _ACTIVITY, self._activity_step(case_id, family, template, named)))
        for _ in range(rng.randint(1, 4)):
            plan.append((rng.choice(window), _COOPERATION,
                         self._cooperation_step(case_id, family, template)))
        outcome_day = self._plan_referral_and_outcome(plan, case_id, family, template, focus,
                                                      window)
        self._plan_closing(plan, case_id, family, end, outcome_day)
        for day, _, record in sorted(plan, key=lambda item: (item[0], item[1])):
            record(day)

    def _some(self, persons: list[Person]) -> list[Person]:
        if not persons:
            return []
        return self.rng.sample(persons, self.rng.randint(1, min(2, len(persons))))

    def _plan_referral_and_outcome(self, plan: Plan, case_id: str, family: Family,
                                   template: NeedTemplate, focus: list[Person],
                                   window: list[date]) -> date | None:
        """Plan a referral (with the institution's answers) and an outcome; the outcome's day."""
        rng, calendar = self.rng, self.calendar
        completed: date | None = None
        institution = self._referral_institution(family, template)
        if institution is not None and template.referral and rng.random() < 0.45:
            day = rng.choice(window[:max(1, int(len(window) * 0.6))])
            referral_id = self.ledger.ids.next("ref", family.municipality)
            service = template.referral[1]
            plan.append((day, _REFERRAL, lambda d: self._refer(
                family.municipality, referral_id, case_id, institution, service, d)))
            completed = answer_referral(self.ledger, referral_id, institution, day)
        if not template.outcomes:
            return None
        if completed is not None and rng.random() < 0.85:
            day = calendar.add(completed, rng.randint(0, 3))  # the result follows the service
        elif completed is None and rng.random() < 0.5:
            day = rng.choice(window[len(window) * 2 // 3:])
        else:
            return None
        if day is None:
            return None
        kind, note = rng.choice(template.outcomes)
        named = self._some(focus)
        plan.append((day, _OUTCOME, lambda d: self._outcome(case_id, family, kind, note, named, d)))
        return day

    def _plan_closing(self, plan: Plan, case_id: str, family: Family, end: date,
                      outcome_day: date | None) -> None:
        """Close most cases that end well before the season does; outcomes may come later."""
        calendar = self.calendar
        if end > (calendar.add(calendar.last, -5) or calendar.last) or self.rng.random() > 0.7:
            return
        close_day = max(end, *(day for day, key, _ in plan if key != _OUTCOME))
        if outcome_day is not None and outcome_day <= (calendar.add(end, 10) or calendar.last):
            close_day, resolution = max(close_day, outcome_day), "resolved"
        elif any(key == _REFERRAL for _, key, _ in plan):
            resolution = "referred"
        else:
            resolution = self.rng.choices(("no_longer_needed", "lost_contact", "resolved"),
                                          (45, 25, 30))[0]
        plan.append((close_day, _CLOSE,
                     lambda d: self._close(family.municipality, case_id, resolution, d)))

    def _episodic_work(self, family: Family) -> None:
        """One short matter, dealt with on one or two days."""
        rng, first = self.rng, family.registered_on
        template = self._pick_need(family, first)
        if template is None:
            return
        case_id = self._open(family)
        focus = [p for p in family.helped if FOCUS[template.focus](p)]
        self._open_case(case_id, family, template, first)
        self._activity_step(case_id, family, template, family.helped)(first)
        if rng.random() < 0.5:
            self._cooperation_step(case_id, family, template)(first)
        institution, referred = self._referral_institution(family, template), False
        if institution is not None and template.referral and rng.random() < 0.2:
            referred, referral_id = True, self.ledger.ids.next("ref", family.municipality)
            self._refer(family.municipality, referral_id, case_id, institution,
                        template.referral[1], first)
            answer_referral(self.ledger, referral_id, institution, first)
        second = self.calendar.add(first, rng.randint(2, 15))
        if second is not None and rng.random() < 0.55:
            if rng.random() < 0.5:
                self._activity_step(case_id, family, template, self._some(focus))(second)
            else:
                self._cooperation_step(case_id, family, template)(second)
            outcome = bool(template.outcomes) and rng.random() < 0.4
            if outcome:
                kind, note = rng.choice(template.outcomes)
                self._outcome(case_id, family, kind, note, self._some(focus), second)
            if rng.random() < 0.7:
                resolution = "resolved" if outcome else "referred" if referred else \
                    rng.choice(("no_longer_needed", "lost_contact"))
                self._close(family.municipality, case_id, resolution, second)
        elif rng.random() < 0.4:
            self._close(family.municipality, case_id,
                        "referred" if referred else "no_longer_needed", first)

    def _referral_institution(self, family: Family,
                              template: NeedTemplate) -> DemoInstitution | None:
        if template.referral is None:
            return None
        return find_institution(self.ledger, family.municipality, template.referral[0])

    # --- single events ---------------------------------------------------------------------

    def _open_case(self, case_id: str, family: Family, template: NeedTemplate, day: date) -> None:
        data = {"case_id": case_id, "family_id": family.id, "domain": template.domain,
                "need": template.need}
        if self.rng.random() < 0.7:
            data["description"] = template.description
        self._emit(family.municipality, "tilts.case.opened", day, 5, data)

    def _activity_step(self, case_id: str, family: Family, template: NeedTemplate,
                       persons: list[Person]) -> Callable[[date], None]:
        def record(day: date) -> None:
            kind = self.rng.choices(template.activities, (50, 30, 20)[:len(template.activities)])[0]
            note = self._activity_note(kind, template)
            if day >= COVID_EMERGENCY and kind in ("home_visit", "accompaniment") \
                    and self.rng.random() < 0.7:
                kind, note = "consultation", REMOTE_NOTE
            low, high = _DURATIONS[kind]
            data: dict[str, Any] = {
                "activity_id": self.ledger.ids.next("act", family.municipality),
                "kind": kind, "domain": template.domain, "case_id": case_id}
            if self.rng.random() < 0.5:
                data["family_id"] = family.id
            if persons:
                data["person_ids"] = [p.id for p in persons]
            if kind == "home_visit":
                data["participants"] = len(persons) + self.rng.randint(1, 3)
            data["duration_minutes"] = self.rng.randrange(low, high + 1, 5)
            if note and self.rng.random() < 0.8:
                data["note"] = note
            self._emit(family.municipality, "tilts.activity.recorded", day,
                       min(data["duration_minutes"], 60), data)
        return record

    def _activity_note(self, kind: str, template: NeedTemplate) -> str | None:
        notes = ACTIVITY_NOTES.get(kind, ())
        if kind == "information_session":  # say which programme the family heard about
            keyword = "PROTI" if "PROTI" in template.need else \
                "Pumpurs" if "Pumpurs" in template.need else "NVA"
            notes = tuple(n for n in notes if keyword in n) or notes
        return self.rng.choice(notes) if notes else None

    def _cooperation_step(self, case_id: str, family: Family,
                          template: NeedTemplate) -> Callable[[date], None]:
        def record(day: date) -> None:
            institution = institution_for(self.ledger, family.municipality, template.institutions)
            data: dict[str, Any] = {"case_id": case_id}
            if self.rng.random() < 0.6:
                data["family_id"] = family.id
            self._cooperate(family.municipality, institution, template.domain,
                            self._channel(institution, day), self.rng.choice(template.purposes),
                            day, data)
        return record

    def _cooperate(self, place: str, institution: DemoInstitution, domain: str, channel: str,
                   purpose: str, day: date, extra: dict[str, Any]) -> None:
        """Record a cooperation naming one contact person; the institution may answer it."""
        contact = self.rng.choice(institution.contacts)
        cooperation_id = self.ledger.ids.next("coop", place)
        self._emit(place, "tilts.cooperation.recorded", day, self.rng.randrange(20, 50, 5), {
            "cooperation_id": cooperation_id, "institution_id": institution.id,
            "contact_id": contact.id, "domain": domain, "channel": channel, "purpose": purpose,
            **extra})
        answer_cooperation(self.ledger, cooperation_id, institution, contact.id, day)

    def _channel(self, institution: DemoInstitution, day: date) -> str:
        if day >= COVID_EMERGENCY:
            return self.rng.choices(("phone", "email", "meeting"), (55, 35, 10))[0]
        channels, weights = ["meeting", "phone", "email"], [45, 30, 10]
        if institution.kind in _JOINT_VISITS:
            channels.append("joint_visit")
            weights.append(10)
        if institution.kind in _COMMISSIONS:
            channels.append("commission_meeting")
            weights.append(5)
        return self.rng.choices(channels, weights)[0]

    def _refer(self, place: str, referral_id: str, case_id: str, institution: DemoInstitution,
               service: str, day: date) -> None:
        self._emit(place, "tilts.referral.made", day, 10, {
            "referral_id": referral_id, "case_id": case_id, "institution_id": institution.id,
            "service": service})

    def _outcome(self, case_id: str, family: Family, kind: str, note: str,
                 persons: list[Person], day: date) -> None:
        data: dict[str, Any] = {"outcome_id": self.ledger.ids.next("out", family.municipality),
                                "case_id": case_id, "kind": kind, "note": note}
        if persons:
            data["person_ids"] = [p.id for p in persons]
        self._emit(family.municipality, "tilts.outcome.recorded", day, 5, data)

    def _close(self, place: str, case_id: str, resolution: str, day: date) -> None:
        self._emit(place, "tilts.case.closed", day, 5,
                   {"case_id": case_id, "resolution": resolution})

    # --- community work --------------------------------------------------------------------

    def _community_work(self, month: str) -> None:
        """Events for the community and cooperations about it, naming no family."""
        days = self.calendar.of_month(month)
        for _ in range(self.rng.randint(1, 2)):
            day = self.rng.choice(days)
            events = [e for e in COMMUNITY_EVENTS
                      if month in e.months or (not e.months and day < COVID_EMERGENCY)]
            if events:
                self._community_event(self.rng.choice(events), day)
        for _ in range(self.rng.randint(2, 4)):
            day = self.rng.choice(days)
            covid = day >= COVID_EMERGENCY
            topics = [g for g in GENERAL_COOPERATIONS if g.covid is None or g.covid == covid]
            self._general_cooperation(self.rng.choice(topics), day)

    def _where(self) -> tuple[str, dict[str, str]]:
        """Where community work happens, and the field naming it when the mediator has a choice."""
        place = self.rng.choice(self.mediator.municipality_ids)
        return place, {"municipality_id": place} if len(self.mediator.municipality_ids) > 1 else {}

    def _community_event(self, event: CommunityEvent, day: date) -> None:
        place, where = self._where()
        low, high = event.participants
        self._emit(place, "tilts.activity.recorded", day, 90, {
            "activity_id": self.ledger.ids.next("act", place), "kind": event.kind,
            "domain": event.domain, "participants": self.rng.randint(low, high),
            "duration_minutes": self.rng.randrange(*_DURATIONS[event.kind], 15),
            "note": event.note, **where})

    def _general_cooperation(self, topic: GeneralCooperation, day: date) -> None:
        place, where = self._where()
        institution = institution_for(self.ledger, place, topic.kinds)
        channel = topic.channel
        if day >= COVID_EMERGENCY and channel in ("meeting", "commission_meeting"):
            channel = "phone"
        self._cooperate(place, institution, topic.domain, channel, topic.purpose, day, where)
