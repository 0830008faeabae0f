"""A stored event as the projections see it: typed data, its sequence, and its day in Riga.

Figures count by the event's field `time` (when the work happened), on the calendar of
Europe/Riga, whatever offset the client sent and however late the event arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from shared.events import catalogue
from shared.events.base import EventData
from shared.events.envelope import StoredEvent
from shared.riga import riga_date



@dataclass(frozen=True, slots=True)
class Fact:
    """One stored event, parsed: what the pure `rows_for` functions read."""

    event_id: str
    sequence: int
    type: str
    time: datetime
    local_date: date
    actor: str
    municipality_id: str
    data: EventData
    recorded: datetime | None = None  # when the intake received it (the server's clock, not the field's)


def _storable(moment: datetime) -> datetime:
    """`moment`, or the nearest instant a database column can take from Python when it lies
    beyond what UTC holds (a year-1 time the intake once accepted: the log keeps it as written)."""
    try:
        moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return (datetime.min if moment.year < 5000 else datetime.max).replace(tzinfo=UTC)
    return moment


def fact_of(event: StoredEvent) -> Fact:
    """Parse a stored event (upcasting its data); raises on anything malformed."""
    if event.sequence is None:
        raise ValueError(f"event {event.id} has no stream sequence")
    spec = catalogue.spec_for(event.type)
    if spec is None:
        raise catalogue.UnknownEventType(event.type)
    moment = datetime.fromisoformat(event.time)
    if moment.tzinfo is None:
        raise ValueError(f"event {event.id} has a time without an offset")
    data = catalogue.parse_stored_data(event.type, event.data, event.schemaversion)
    return Fact(event_id=event.id, sequence=event.sequence, type=event.type, time=_storable(moment),
                local_date=riga_date(moment), actor=event.actor, municipality_id=event.municipalityid,
                data=data, recorded=datetime.fromisoformat(event.recordedtime))
