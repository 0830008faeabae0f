"""Events of the municipality aggregate."""

from __future__ import annotations

from typing import ClassVar

from shared.events.base import EventData
from shared.events.fields import Id, Name

__all__ = ["MunicipalityRegistered"]


class MunicipalityRegistered(EventData):
    """A municipality where mediators work was registered."""

    TYPE: ClassVar[str] = "tilts.municipality.registered"
    AGGREGATE: ClassVar[str] = "municipality"
    AGGREGATE_ID: ClassVar[str] = "municipality_id"

    municipality_id: Id
    name: Name
