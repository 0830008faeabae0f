"""The base class of every event's `data` and the reference to the aggregate it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["AggregateRef", "EventData"]


@dataclass(frozen=True, slots=True)
class AggregateRef:
    """The aggregate (consistency boundary, hash chain) an event is appended to."""

    type: str
    id: str


class EventData(BaseModel):
    """Immutable `data` of one event type; subclasses set `TYPE`, `AGGREGATE` and `AGGREGATE_ID`."""

    # Lax mode so JSON strings become enums and dates, but every str/int field is declared
    # strict in `fields.py`, so 5 is never an id and "1990" is never a birth year.
    # Inputs may carry personal data, so validation errors must not echo them. Subclass
    # instances are revalidated so a sealed *Stored instance never passes as a posted event.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True,
                              revalidate_instances="subclass-instances")

    TYPE: ClassVar[str]
    AGGREGATE: ClassVar[str]
    AGGREGATE_ID: ClassVar[str]

    def aggregate(self) -> AggregateRef:
        """The aggregate this event is appended to."""
        return AggregateRef(self.AGGREGATE, getattr(self, self.AGGREGATE_ID))

    def errors_at(self, time: datetime) -> tuple[tuple[str, str], ...]:
        """(field, message) for what is wrong with this data given the event's field `time`,
        which the data's own schema cannot see; none unless a type says otherwise."""
        return ()
