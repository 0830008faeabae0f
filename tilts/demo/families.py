"""The families of the season: who is in them, when they register, whom the mediator helps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from .ledger import Ledger
from .names import FamilyName

__all__ = ["FOCUS", "Family", "FamilyQuota", "Person", "plan_families"]

SEASON_YEAR = 2019  # ages are counted at the start of the season


@dataclass(frozen=True)
class Person:
    """A family member."""

    id: str
    relation: str
    birth_year: int
    female: bool
    given_name: str
    surname: str

    @property
    def age(self) -> int:
        """Age at the start of the season."""
        return SEASON_YEAR - self.birth_year


@dataclass
class Family:
    """A Roma family the mediator works with."""

    id: str
    municipality: str
    surname: FamilyName
    persons: list[Person]
    registered_on: date
    episodic: bool                                  # dealt with on one or two days only
    helped: list[Person] = field(default_factory=list)  # the persons the work names
    needs: set[str] = field(default_factory=set)    # needs already opened as cases


@dataclass(frozen=True)
class FamilyQuota:
    """How many families a mediator supports in one municipality."""

    municipality: str
    regular: int
    episodic: int
    persons_helped: int | None = None  # exact number of persons to name, if the seeds give one


FOCUS: dict[str, Callable[[Person], bool]] = {
    "preschool": lambda p: p.relation == "child" and 4 <= p.age <= 6,
    "first_grader": lambda p: p.relation == "child" and 6 <= p.age <= 7,
    "pupil": lambda p: p.relation == "child" and 7 <= p.age <= 15,
    "teen": lambda p: p.relation == "child" and 12 <= p.age <= 17,
    "youth": lambda p: p.relation in ("child", "other") and 15 <= p.age <= 29,
    "child": lambda p: p.relation == "child" and p.age < 18,
    "adult": lambda p: p.relation in ("parent", "other") and p.age >= 18,
    "young_mother": lambda p: p.relation == "parent" and p.female and p.age <= 26,
    "grandparent": lambda p: p.relation == "grandparent",
    "elder": lambda p: p.relation == "grandparent" or p.age >= 45,
    "any": lambda p: True,
}
"""Who a need can be about (`NeedTemplate.focus`)."""


def plan_families(ledger: Ledger, quota: FamilyQuota) -> list[Family]:
    """The regular, then the episodic families of one municipality, with the persons helped."""
    families = [_compose(ledger, quota.municipality, episodic=n >= quota.regular)
                for n in range(quota.regular + quota.episodic)]
    counts = [_helped_count(ledger, family) for family in families]
    if quota.persons_helped is not None:
        counts = _fit_counts(ledger, families, counts, quota.persons_helped)
    for family, count in zip(families, counts):
        family.helped = _choose_helped(ledger, family.persons, count)
    return families


def _compose(ledger: Ledger, municipality: str, episodic: bool) -> Family:
    """A family of one or two parents, children, and sometimes a grandmother or relative."""
    rng, names = ledger.rng, ledger.names
    family_id = ledger.ids.next("fam", municipality, width=3)
    surname = names.family_surname()
    persons: list[Person] = []

    def add(relation: str, year: int, female: bool) -> None:
        given, family_name = names.family_member(surname, female)
        person_id = f"{family_id.replace('fam-', 'per-', 1)}-{len(persons) + 1}"
        persons.append(Person(person_id, relation, year, female, given, family_name))

    mother_year = rng.randint(1976, 1998)
    add("parent", mother_year, True)
    if rng.random() < 0.6:
        add("parent", min(1998, rng.randint(mother_year - 6, mother_year + 1)), False)
    children = rng.choices((1, 2, 3, 4, 5, 6), weights=(14, 24, 24, 18, 12, 8))[0]
    for year in sorted(rng.randint(max(mother_year + 17, 1996), 2019) for _ in range(children)):
        add("child", year, rng.random() < 0.5)
    if rng.random() < 0.15:
        add("grandparent", rng.randint(mother_year - 27, mother_year - 19), True)
    if rng.random() < 0.08:
        add("other", rng.randint(1988, 2001), rng.random() < 0.5)
    return Family(family_id, municipality, surname, persons,
                  _registration_day(ledger, episodic), episodic)


def _registration_day(ledger: Ledger, episodic: bool) -> date:
    """Most regular families continue from the previous project and register in September."""
    days, rng = ledger.calendar.days, ledger.rng
    if episodic:
        return days[rng.randrange(0, len(days) - 3)]
    if rng.random() < 0.65:
        return days[rng.randrange(0, 30)]
    return days[rng.randrange(30, 105)]


def _helped_count(ledger: Ledger, family: Family) -> int:
    """How many of the family's members the mediator's work will name."""
    if family.episodic:
        count = ledger.rng.choices((1, 2), (60, 40))[0]
    else:
        count = ledger.rng.choices((1, 2, 3, 4), (20, 40, 28, 12))[0]
    return min(count, len(family.persons))


def _fit_counts(ledger: Ledger, families: list[Family], counts: list[int],
                total: int) -> list[int]:
    """Adjust the helped counts one by one until they add up to `total`."""
    counts = list(counts)
    while sum(counts) != total:
        n = ledger.rng.randrange(len(families))
        if sum(counts) > total and counts[n] > 1:
            counts[n] -= 1
        elif sum(counts) < total and counts[n] < min(4, len(families[n].persons)):
            counts[n] += 1
    return counts


def _choose_helped(ledger: Ledger, persons: list[Person], count: int) -> list[Person]:
    """Children of school age and adults, interleaved (children first, mostly)."""
    rng = ledger.rng
    children = [p for p in persons if p.relation == "child"]
    adults = [p for p in persons if p.relation != "child"]
    rng.shuffle(children)
    rng.shuffle(adults)
    children.sort(key=lambda p: not 4 <= p.age <= 17)
    first, second = (children, adults) if rng.random() < 0.7 else (adults, children)
    interleaved = [p for pair in zip(first, second) for p in pair]
    longer = first if len(first) > len(second) else second
    interleaved += longer[min(len(first), len(second)):]
    return sorted(interleaved[:count], key=persons.index)
