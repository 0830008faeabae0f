"""What every piece of family work shares: who did it, where, when, and for which family."""

from __future__ import annotations

from typing import Any

from shared.events.base import EventData

from .facts import Fact
from .known import Known


def family_of(data: EventData, known: Known) -> str | None:
    """The family a piece of work concerns: named directly, or through its case."""
    family_id = getattr(data, "family_id", None)
    case_id = getattr(data, "case_id", None)
    return family_id or (known.cases.get(case_id) if case_id else None)


def stamped(fact: Fact) -> dict[str, Any]:
    """The columns every fact row carries, for reproducible "as of" reads."""
    return {"event_id": fact.event_id, "sequence": fact.sequence, "time": fact.time,
            "local_date": fact.local_date, "municipality_id": fact.municipality_id, "mediator_id": fact.actor}
