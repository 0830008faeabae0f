"""Report figures from grouped counts: pure, so they are tested without a database.

A family is *regular* when its work fell on at least three distinct Riga days in the period,
*episodic* otherwise. Families belong to one municipality, so totals are sums per municipality,
except mediators, who may work in two and count once in the total.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

REGULAR_DAYS = 3


@dataclass(frozen=True)
class FigureRows:
    """The grouped counts a report is made of (see `queries/figures.py`)."""

    family_days: Sequence[tuple[str, Sequence[int]]] = ()     # municipality, distinct days of each family
    persons: Sequence[tuple[str, int]] = ()                   # municipality, distinct (family, person)
    mediators: Sequence[tuple[str, str]] = ()                 # municipality, mediator
    activities: Sequence[tuple[str, str, str, int, int]] = ()  # municipality, kind, domain, count, participants
    # municipality, institution, domain, count, acknowledged, disputed
    cooperations: Sequence[tuple[str, str, str, int, int, int]] = ()
    outcomes: Sequence[tuple[str, str, int]] = ()             # municipality, kind, count
    # municipality, institution, count, accepted, completed, declined (each: reached that step by as_of)
    referrals: Sequence[tuple[str, str, int, int, int, int]] = ()

    def institutions(self) -> set[str]:
        """Institutions named by the cooperations and referrals counted."""
        return {row[1] for row in (*self.cooperations, *self.referrals)}

    def of(self, municipality_id: str) -> FigureRows:
        """Only the rows of one municipality."""
        return self.by_municipality().get(municipality_id, FigureRows())

    def by_municipality(self) -> dict[str, FigureRows]:
        """The rows split by municipality (one pass over them)."""
        split: dict[str, dict[str, list[tuple]]] = {}
        for name in _FIELDS:
            for row in getattr(self, name):
                split.setdefault(row[0], {field: [] for field in _FIELDS})[name].append(row)
        return {municipality: FigureRows(**parts) for municipality, parts in split.items()}

    def municipalities(self) -> set[str]:
        """Municipalities with anything counted."""
        rows: Iterable[tuple] = (*self.family_days, *self.persons, *self.mediators, *self.activities,
                                 *self.cooperations, *self.outcomes, *self.referrals)
        return {row[0] for row in rows}


_FIELDS = ("family_days", "persons", "mediators", "activities", "cooperations", "outcomes", "referrals")
REFERRAL_STEPS = ("accepted", "completed", "declined")


@dataclass(frozen=True)
class Place:
    """A municipality a report has a section for."""

    municipality_id: str
    name: str


@dataclass
class _Tally:
    families: list[int] = field(default_factory=list)  # distinct days of each family
    persons: int = 0
    mediators: set[str] = field(default_factory=set)
    activity_kinds: Counter = field(default_factory=Counter)
    activity_domains: Counter = field(default_factory=Counter)
    participants: int = 0
    cooperation_domains: Counter = field(default_factory=Counter)
    institutions: Counter = field(default_factory=Counter)
    acknowledged: Counter = field(default_factory=Counter)
    disputed: Counter = field(default_factory=Counter)
    outcome_kinds: Counter = field(default_factory=Counter)
    referrals: Counter = field(default_factory=Counter)  # by institution
    referral_steps: dict[str, Counter] = field(default_factory=lambda: {step: Counter() for step in REFERRAL_STEPS})


def _tally(rows: FigureRows) -> _Tally:
    tally = _Tally()
    for _, days in rows.family_days:
        tally.families += days
    tally.persons = sum(n for _, n in rows.persons)
    tally.mediators = {mediator for _, mediator in rows.mediators}
    for _, kind, domain, n, participants in rows.activities:
        tally.activity_kinds[kind] += n
        tally.activity_domains[domain] += n
        tally.participants += participants
    for _, institution_id, domain, n, acknowledged, disputed in rows.cooperations:
        tally.cooperation_domains[domain] += n
        tally.institutions[institution_id] += n
        tally.acknowledged[institution_id] += acknowledged
        tally.disputed[institution_id] += disputed
    for _, kind, n in rows.outcomes:
        tally.outcome_kinds[kind] += n
    for _, institution_id, n, *steps in rows.referrals:
        tally.referrals[institution_id] += n
        for step, reached in zip(REFERRAL_STEPS, steps, strict=True):
            tally.referral_steps[step][institution_id] += reached
    return tally


def _counts(counter: Counter) -> dict[str, int]:
    return {key: counter[key] for key in sorted(counter) if counter[key]}


def figures(rows: FigureRows, names: Mapping[str, str], municipality_id: str | None = None) -> dict[str, Any]:
    """The contract's figures for one municipality, or (None) for all rows together, with the
    additions: `cooperations.disputed`, `activities.participants` and `referrals`.

    `names` gives institution names for `by_institution`.
    """
    if municipality_id is not None:
        rows = rows.of(municipality_id)
    t = _tally(rows)
    regular = sum(1 for days in t.families if days >= REGULAR_DAYS)
    by_institution = sorted(t.institutions, key=lambda i: (-t.institutions[i], i))
    return {
        "mediators_active": len(t.mediators),
        "families_supported": len(t.families),
        "families_regular": regular,
        "families_episodic": len(t.families) - regular,
        "persons_helped": t.persons,
        "activities": {"total": sum(t.activity_kinds.values()), "by_kind": _counts(t.activity_kinds),
                       "by_domain": _counts(t.activity_domains), "participants": t.participants},
        "cooperations": {"total": sum(t.institutions.values()), "acknowledged": sum(t.acknowledged.values()),
                         "disputed": sum(t.disputed.values()), "by_domain": _counts(t.cooperation_domains),
                         "by_institution": [{"institution_id": i, "name": names.get(i, i), "count": t.institutions[i],
                                             "acknowledged": t.acknowledged[i], "disputed": t.disputed[i]}
                                            for i in by_institution]},
        "outcomes": {"total": sum(t.outcome_kinds.values()), "by_kind": _counts(t.outcome_kinds)},
        "referrals": {"total": sum(t.referrals.values()),
                      **{step: sum(t.referral_steps[step].values()) for step in REFERRAL_STEPS},
                      "by_institution": [{"institution_id": i, "name": names.get(i, i), "count": t.referrals[i],
                                          **{step: t.referral_steps[step][i] for step in REFERRAL_STEPS}}
                                         for i in sorted(t.referrals, key=lambda i: (-t.referrals[i], i))]},
    }


def by_municipality(rows: FigureRows, places: Sequence[Place], names: Mapping[str, str]) -> dict[str, Any]:
    """One section per place (in the order given) and the total over all rows."""
    parts = rows.by_municipality()
    return {"municipalities": [{"municipality_id": p.municipality_id, "name": p.name,
                                **figures(parts.get(p.municipality_id, FigureRows()), names)} for p in places],
            "total": figures(rows, names)}
