"""Events of the mediator aggregate."""

from __future__ import annotations

from typing import ClassVar

from shared.events.base import EventData
from shared.events.fields import Id, MunicipalityIds, Name

__all__ = ["MediatorRegistered"]


class MediatorRegistered(EventData):
    """A Roma mediator was registered to work in one or more municipalities."""

    TYPE: ClassVar[str] = "tilts.mediator.registered"
    AGGREGATE: ClassVar[str] = "mediator"
    AGGREGATE_ID: ClassVar[str] = "mediator_id"

    mediator_id: Id
    display_name: Name
    municipality_ids: MunicipalityIds
