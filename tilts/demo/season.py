"""`build_season`: the whole invented season, deterministic for a seed, as ordered steps."""

from __future__ import annotations

import random
from collections import Counter
from itertools import count
from typing import Any

from .calendar import WorkCalendar, riga_time
from .casework import MediatorWork
from .families import FamilyQuota
from .ledger import (ADMIN, PHASE_ANSWERS, PHASE_RESUBMISSIONS, PHASE_REVIEWS, PHASE_WORK, Ledger,
                     Planned, coordinator_of)
from .model import (MAX_BATCH, ActorSpec, DemoContact, DemoInstitution, DemoMediator,
                    DemoMunicipality, DemoSeason, DemoStep)
from .names import ACTIVE_MUNICIPALITIES, INSTITUTIONS, MEDIATORS, MUNICIPALITIES, NameBook
from .reports import plan_evaluations, plan_monthly_reports

__all__ = ["FAMILY_QUOTAS", "build_season"]

FAMILY_QUOTAS: dict[str, tuple[FamilyQuota, ...]] = {
    "med-jelgava": (FamilyQuota("jelgava", regular=22, episodic=8),),
    "med-ventspils": (FamilyQuota("ventspils", regular=17, episodic=6),),
    "med-vilaka": (FamilyQuota("vilaka", regular=12, episodic=3),
                   FamilyQuota("balvi", regular=5, episodic=2)),
    "med-riga": (FamilyQuota("riga", regular=11, episodic=4, persons_helped=41),),
    "med-valmiera": (FamilyQuota("valmiera", regular=10, episodic=3),),
}
"""Families per mediator and municipality, shaped by the seeds' figures for 2019/2020."""

_SHORT_KINDS = {
    "tilts.cooperation.acknowledged": "cooperation-ack",
    "tilts.cooperation.disputed": "cooperation-dispute",
    "tilts.institution.contact_added": "contact",
    "tilts.family.registered": "family",
    "tilts.person.added": "person",
}


def build_season(seed: int = 2019) -> DemoSeason:
    """The invented 2019/2020 season of five mediators' work; a seed always gives the same."""
    rng = random.Random(seed)
    calendar = WorkCalendar()
    municipalities = [DemoMunicipality(mid, name) for mid, name in MUNICIPALITIES]
    ledger = Ledger(rng, calendar, NameBook(rng), municipalities)
    institutions = _institutions(ledger.names, rng)
    for institution in institutions:
        ledger.institutions.setdefault(institution.municipality, []).append(institution)
    mediators = [DemoMediator(mid, name, places) for mid, name, places in MEDIATORS]
    works = [MediatorWork(ledger, mediator) for mediator in mediators]
    for work in works:
        work.run(list(FAMILY_QUOTAS[work.mediator.id]))
    for work in works:
        plan_monthly_reports(ledger, work)
    plan_evaluations(ledger, works)
    setup = _setup(calendar, municipalities, institutions, mediators)
    steps = _steps(setup, ledger.planned, calendar.months(), [w.actor for w in works])
    coordinators = [ADMIN, *(coordinator_of(m) for m in ACTIVE_MUNICIPALITIES)]
    return DemoSeason(municipalities, mediators, institutions, coordinators, steps)


def _institutions(names: NameBook, rng: random.Random) -> list[DemoInstitution]:
    """The invented institutions of every active municipality, with 1-3 contacts each."""
    institutions = []
    for municipality in ACTIVE_MUNICIPALITIES:
        for template in INSTITUTIONS[municipality]:
            institution_id = f"inst-{municipality}-{template.slug}"
            size = max(1, min(3, len(template.roles) - rng.choice((0, 0, 1))))
            contacts = tuple(
                DemoContact(f"ct-{municipality}-{template.slug}-{n}", names.staff(role), role)
                for n, role in enumerate(template.roles[:size], start=1))
            institutions.append(DemoInstitution(institution_id, municipality, template.kind,
                                                template.name, contacts, template.domains))
    return institutions


def _setup(calendar: WorkCalendar, municipalities: list[DemoMunicipality],
           institutions: list[DemoInstitution], mediators: list[DemoMediator]) -> list[Planned]:
    """Registrations before the first working day's work: 08:00 onwards, five seconds apart."""
    day, ticks = calendar.first, count()
    planned: list[Planned] = []

    def plan(actor: ActorSpec, place: str, event_type: str, data: dict[str, Any]) -> None:
        source = f"tilts-demo/{actor.role}"
        time = riga_time(day, 8 * 60, 5 * next(ticks))
        planned.append(Planned(actor, place, event_type, time, data, source))

    for municipality in municipalities:
        plan(ADMIN, municipality.id, "tilts.municipality.registered",
             {"municipality_id": municipality.id, "name": municipality.name})
    for place in ACTIVE_MUNICIPALITIES:
        coordinator = coordinator_of(place)
        for institution in (i for i in institutions if i.municipality == place):
            plan(coordinator, place, "tilts.institution.registered", {
                "institution_id": institution.id, "municipality_id": place,
                "name": institution.name, "kind": institution.kind,
                "domains": list(institution.domains)})
            for contact in institution.contacts:
                plan(coordinator, place, "tilts.institution.contact_added", {
                    "institution_id": institution.id, "contact_id": contact.id,
                    "name": contact.name, "role": contact.role})
    for mediator in mediators:
        plan(ADMIN, mediator.municipality_ids[0], "tilts.mediator.registered", {
            "mediator_id": mediator.id, "display_name": mediator.name,
            "municipality_ids": list(mediator.municipality_ids)})
    return planned


def _steps(setup: list[Planned], planned: list[Planned], months: list[str],
           mediators: list[ActorSpec]) -> list[DemoStep]:
    """Order the season for posting, give events their ids, and cut it into batches."""
    numbers: Counter[tuple[str, str]] = Counter()
    steps = []
    for group in [*_runs_by_actor(setup), *_monthly_groups(planned, months, mediators)]:
        events = [_cloud_event(item, numbers) for item in group]
        for start in range(0, len(events), MAX_BATCH):
            steps.append(DemoStep(group[0].actor, events[start:start + MAX_BATCH]))
    return steps


def _runs_by_actor(items: list[Planned]) -> list[list[Planned]]:
    """Consecutive events of the same actor, kept in order."""
    runs: list[list[Planned]] = []
    for item in items:
        if runs and runs[-1][0].actor == item.actor:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _monthly_groups(planned: list[Planned], months: list[str],
                    mediators: list[ActorSpec]) -> list[list[Planned]]:
    """Month by month: mediators' work, institutions' answers, reviews, resubmitted reports.

    Each group is one actor's events of that month and phase in time order, so everything an
    event refers to was posted in an earlier group (or earlier in the same one).
    """
    rank = {actor: n for n, actor in enumerate(mediators)}
    position = {id(item): n for n, item in enumerate(planned)}
    slots: dict[tuple[str, int], dict[ActorSpec, list[Planned]]] = {}
    for item in planned:
        slots.setdefault((item.month, item.phase), {}).setdefault(item.actor, []).append(item)
    groups = []
    for month in months:
        for phase in (PHASE_WORK, PHASE_ANSWERS, PHASE_REVIEWS, PHASE_RESUBMISSIONS):
            actors = slots.get((month, phase), {})
            for actor in sorted(actors, key=lambda a: (rank.get(a, len(rank)), a.subject)):
                groups.append(sorted(actors[actor], key=lambda p: (p.at, position[id(p)])))
    return groups


def _cloud_event(item: Planned, numbers: Counter[tuple[str, str]]) -> dict[str, Any]:
    """The CloudEvents envelope of a planned event, with a deterministic, readable id."""
    kind = _SHORT_KINDS.get(item.type) or "-".join(item.type.split(".")[1:]).replace(
        "-recorded", "").replace("-registered", "").replace("-submitted", "")
    numbers[item.place, kind] += 1
    return {"specversion": "1.0", "id": f"demo-{item.place}-{kind}-{numbers[item.place, kind]:04d}",
            "source": item.source, "type": item.type, "time": item.time, "data": item.data}
