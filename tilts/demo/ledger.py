"""The generator's shared state: randomness, calendar, ids, diaries and the events planned."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shared.roles import Role

from .calendar import Agenda, WorkCalendar
from .model import ActorSpec, DemoInstitution, DemoMediator, DemoMunicipality
from .names import NameBook

__all__ = ["ADMIN", "PHASE_ANSWERS", "PHASE_RESUBMISSIONS", "PHASE_REVIEWS", "PHASE_WORK", "Ids",
           "Ledger", "Planned", "coordinator_of", "institution_actor", "mediator_actor"]

ADMIN = ActorSpec(Role.ADMIN, "admin-demo")
"""The national administrator who sets the season up."""

# The order in which a month's events are posted: a mediator's work first, then what
# institutions answer about it, then coordinators' reviews, then resubmitted reports.
PHASE_WORK, PHASE_ANSWERS, PHASE_REVIEWS, PHASE_RESUBMISSIONS = 0, 1, 2, 3


def coordinator_of(municipality: str) -> ActorSpec:
    """The coordinator of one municipality."""
    return ActorSpec(Role.COORDINATOR, f"coord-{municipality}", (municipality,))


def institution_actor(institution: DemoInstitution) -> ActorSpec:
    """An institution acting on its own records."""
    return ActorSpec(Role.INSTITUTION, institution.id, (institution.municipality,),
                     institution.id)


def mediator_actor(mediator: DemoMediator) -> ActorSpec:
    """A mediator, scoped to their municipalities."""
    return ActorSpec(Role.MEDIATOR, mediator.id, mediator.municipality_ids)


@dataclass
class Planned:
    """One event of the season before it is placed in a step and given its event id."""

    actor: ActorSpec
    place: str          # the municipality the event id is numbered in
    type: str
    time: str
    data: dict[str, Any]
    source: str
    phase: int = PHASE_WORK

    @property
    def at(self) -> datetime:
        """The event time as an aware datetime."""
        return datetime.fromisoformat(self.time)

    @property
    def month(self) -> str:
        """`YYYY-MM` of the event's local (Riga) time."""
        return self.time[:7]


class Ids:
    """Sequential, readable aggregate ids: `case-jelgava-0001`, ..."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def next(self, prefix: str, place: str, width: int = 4) -> str:
        """The next id for `prefix` in `place`."""
        self._counts[prefix, place] += 1
        return f"{prefix}-{place}-{self._counts[prefix, place]:0{width}d}"


@dataclass
class Ledger:
    """Everything the generators share while planning the season."""

    rng: random.Random
    calendar: WorkCalendar
    names: NameBook
    municipalities: list[DemoMunicipality] = field(default_factory=list)
    institutions: dict[str, list[DemoInstitution]] = field(default_factory=dict)
    planned: list[Planned] = field(default_factory=list)
    case_family: dict[str, str] = field(default_factory=dict)
    ids: Ids = field(default_factory=Ids)
    _agendas: dict[str, Agenda] = field(default_factory=dict)

    def agenda(self, subject: str) -> Agenda:
        """The diary of one actor."""
        if subject not in self._agendas:
            self._agendas[subject] = Agenda(self.rng)
        return self._agendas[subject]

    def emit(self, actor: ActorSpec, place: str, event_type: str, day: date, minutes: int,
             data: dict[str, Any], source: str, phase: int = PHASE_WORK) -> Planned:
        """Plan one event at the actor's next free time on `day`."""
        time = self.agenda(actor.subject).book(day, minutes)
        planned = Planned(actor, place, event_type, time, data, source, phase)
        self.planned.append(planned)
        return planned
