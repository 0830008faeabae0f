"""The shapes of a demo season: who acts, what is registered, and the ordered steps to post."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from shared.roles import Role

__all__ = ["MAX_BATCH", "ActorSpec", "DemoContact", "DemoInstitution", "DemoMediator",
           "DemoMunicipality", "DemoSeason", "DemoStep"]

MAX_BATCH = 500
"""The most events the intake takes in one batch request."""


@dataclass(frozen=True)
class ActorSpec:
    """Who posts a step: the claims of the bearer token to mint for it."""

    role: Role
    subject: str
    municipalities: tuple[str, ...] = ()
    institution: str | None = None


@dataclass
class DemoStep:
    """Events one actor posts together, in order (a loader may split them into batches)."""

    actor: ActorSpec
    events: list[dict[str, Any]]


@dataclass(frozen=True)
class DemoMunicipality:
    """A municipality of the season."""

    id: str
    name: str


@dataclass(frozen=True)
class DemoContact:
    """A person at an institution the mediators talk to."""

    id: str
    name: str
    role: str


@dataclass(frozen=True)
class DemoInstitution:
    """An institution the mediators cooperate with, and its contact people."""

    id: str
    municipality: str
    kind: str
    name: str
    contacts: tuple[DemoContact, ...]
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoMediator:
    """A Roma mediator and the municipalities they are registered for."""

    id: str
    name: str
    municipality_ids: tuple[str, ...]


@dataclass
class DemoSeason:
    """An invented season of mediator work, ready to post step by step."""

    municipalities: list[DemoMunicipality]
    mediators: list[DemoMediator]
    institutions: list[DemoInstitution]
    coordinators: list[ActorSpec]
    steps: list[DemoStep] = field(default_factory=list)

    @property
    def event_count(self) -> int:
        """How many events the steps hold."""
        return sum(len(step.events) for step in self.steps)

    def events(self) -> Iterator[tuple[ActorSpec, dict[str, Any]]]:
        """Every event with its actor, in posting order."""
        for step in self.steps:
            for event in step.events:
                yield step.actor, event
