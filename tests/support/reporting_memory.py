"""An in-memory stand-in for the reporting read models, for unit tests without PostgreSQL.

`MemoryReadModels.apply` runs the projection's pure code (dedupe by id, facts, row changes)
and keeps rows in dicts with the same keys and insert-never-overwrites rule as the tables;
`figure_rows` answers the same grouped counts as `queries/figures.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from shared.events.envelope import StoredEvent
from services.reporting.application.figures import FigureRows
from services.reporting.projections.changes import Add, Change, Insert, Mark, Update
from services.reporting.projections.dispatch import changes_for, first_occurrences
from services.reporting.projections.facts import fact_of
from services.reporting.projections.known import CooperationTally, Known

KEYS = {
    "municipalities": ("municipality_id",), "institutions": ("institution_id",),
    "contacts": ("institution_id", "contact_id"), "mediator_registrations": ("mediator_id", "sequence"),
    "families": ("family_id",), "persons": ("family_id", "person_id"), "cases": ("case_id",),
    "activities": ("activity_id",), "cooperations": ("cooperation_id",), "referrals": ("referral_id",),
    "outcomes": ("outcome_id",), "mediator_days": ("local_date", "municipality_id", "mediator_id"),
    "family_days": ("local_date", "municipality_id", "mediator_id", "family_id"),
    "person_days": ("local_date", "municipality_id", "mediator_id", "family_id", "person_id"),
    "reports": ("report_id",), "report_history": ("report_id", "sequence"), "evaluations": ("evaluation_id",),
    "month_mediators": ("month", "municipality_id", "mediator_id"),
    "month_families": ("month", "municipality_id", "family_id"),
    "year_persons": ("year", "municipality_id", "family_id", "person_id"),
    "month_activities": ("month", "municipality_id", "kind", "domain"),
    "month_cooperations": ("month", "municipality_id", "institution_id", "domain"),
    "month_outcomes": ("month", "municipality_id", "kind"),
}


class MemoryReadModels:
    """Tables as dicts of rows by primary key."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[tuple, dict[str, Any]]] = defaultdict(dict)
        self.applied: set[str] = set()

    def apply(self, events: Iterable[StoredEvent]) -> None:
        """What `ReportingProjection.apply` does, one batch."""
        fresh = [e for e in first_occurrences(events) if e.id not in self.applied]
        self.applied |= {e.id for e in fresh}
        facts = [fact_of(e) for e in fresh]
        cases = {row["case_id"]: row["family_id"] for row in self.rows("cases")}
        cooperations = {row["cooperation_id"]: CooperationTally(
            row["municipality_id"], row["local_date"].replace(day=1), row["institution_id"], row["domain"])
            for row in self.rows("cooperations")}
        self.write(changes_for(facts, Known(cases, cooperations)))

    def write(self, changes: list[Change]) -> None:
        for kind in (Insert, Update, Add, Mark):
            for change in (c for c in changes if type(c) is kind):
                getattr(self, f"_{kind.__name__.lower()}")(change)

    def _insert(self, change: Insert) -> None:
        self.tables[change.table].setdefault(tuple(change.row[k] for k in KEYS[change.table]), dict(change.row))

    def _update(self, change: Update) -> None:
        for row in self.tables[change.table].values():
            if all(row.get(k) == v for k, v in change.key.items()):
                row.update(change.values)

    def _add(self, change: Add) -> None:
        row = self.tables[change.table].setdefault(tuple(change.key[k] for k in KEYS[change.table]),
                                                   {**change.key, **{c: 0 for c in change.values}})
        for column, value in change.values.items():
            row[column] += value

    def _mark(self, change: Mark) -> None:
        row = self.tables[change.table].setdefault(tuple(change.key[k] for k in KEYS[change.table]),
                                                   {**change.key, **{c: 0 for c in change.values}})
        for column, bits in change.values.items():
            row[column] |= bits

    def rows(self, table: str) -> list[dict[str, Any]]:
        return list(self.tables[table].values())

    def figure_rows(self, first: date, last: date, as_of: int, *, municipalities: frozenset[str] | None = None,
                    mediator_id: str | None = None) -> FigureRows:
        """The grouped counts `queries/figures.py` answers, from the rows in memory."""
        def kept(table: str) -> list[dict[str, Any]]:
            return [r for r in self.rows(table) if first <= r["local_date"] <= last and r["sequence"] <= as_of
                    and (municipalities is None or r["municipality_id"] in municipalities)
                    and (mediator_id is None or r["mediator_id"] == mediator_id)]

        days: dict[tuple, set] = defaultdict(set)
        for r in kept("family_days"):
            days[r["municipality_id"], r["family_id"]].add(r["local_date"])
        family_days: dict[str, list[int]] = defaultdict(list)
        for (municipality, _), seen in days.items():
            family_days[municipality].append(len(seen))
        persons: dict[str, set] = defaultdict(set)
        for r in kept("person_days"):
            persons[r["municipality_id"]].add((r["family_id"], r["person_id"]))
        activities: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for r in kept("activities"):
            counts = activities[r["municipality_id"], r["kind"], r["domain"]]
            counts[0] += 1
            counts[1] += r["participants"] or 0
        cooperations: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r in kept("cooperations"):
            counts = cooperations[r["municipality_id"], r["institution_id"], r["domain"]]
            counts[0] += 1
            answered = r.get("answer") if r.get("answer_sequence") is not None and r["answer_sequence"] <= as_of \
                else None
            counts[1] += answered == "acknowledged"
            counts[2] += answered == "disputed"
        outcomes: dict[tuple, int] = defaultdict(int)
        for r in kept("outcomes"):
            outcomes[r["municipality_id"], r["kind"]] += 1
        referrals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for r in kept("referrals"):
            counts = referrals[r["municipality_id"], r["institution_id"]]
            counts[0] += 1
            for n, step in enumerate(("accepted", "completed", "declined"), start=1):
                counts[n] += r.get(f"{step}_sequence") is not None and r[f"{step}_sequence"] <= as_of
        return FigureRows(
            family_days=list(family_days.items()),
            persons=[(m, len(p)) for m, p in persons.items()],
            mediators=sorted({(r["municipality_id"], r["mediator_id"]) for r in kept("mediator_days")}),
            activities=[(*k, n, p) for k, (n, p) in activities.items()],
            cooperations=[(*k, n, a, d) for k, (n, a, d) in cooperations.items()],
            outcomes=[(*k, n) for k, n in outcomes.items()],
            referrals=[(*k, *counts) for k, counts in referrals.items()])

