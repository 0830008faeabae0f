"""What the projection knows of earlier events that later ones refer to by id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shared.events.case import CaseOpened
from shared.events.work import CooperationRecorded

from .facts import Fact


@dataclass(frozen=True, slots=True)
class CooperationTally:
    """Where a cooperation is tallied: its municipality, month, institution and domain."""

    municipality_id: str
    month: date
    institution_id: str
    domain: str


@dataclass
class Known:
    """Families of cases, and tallies of cooperations, learnt from the read models and the batch."""

    cases: dict[str, str] = field(default_factory=dict)
    cooperations: dict[str, CooperationTally] = field(default_factory=dict)

    def learn(self, fact: Fact) -> None:
        """Remember what a fact introduces, for the facts after it in the same batch."""
        data = fact.data
        if isinstance(data, CaseOpened):
            self.cases.setdefault(data.case_id, data.family_id)
        elif isinstance(data, CooperationRecorded):
            self.cooperations.setdefault(data.cooperation_id, CooperationTally(
                fact.municipality_id, fact.local_date.replace(day=1), data.institution_id, str(data.domain)))
