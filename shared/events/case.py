"""Events of the case aggregate: a family's need in one domain, from opening to closing."""

from __future__ import annotations

from typing import ClassVar

from shared.events.base import EventData
from shared.events.fields import Domain, Id, OptionalLongText, Resolution, ShortText

__all__ = ["CaseClosed", "CaseOpened"]


class _CaseEvent(EventData):
    AGGREGATE: ClassVar[str] = "case"
    AGGREGATE_ID: ClassVar[str] = "case_id"


class CaseOpened(_CaseEvent):
    """A mediator opened a case for a family's need."""

    TYPE: ClassVar[str] = "tilts.case.opened"

    case_id: Id
    family_id: Id
    domain: Domain
    need: ShortText
    description: OptionalLongText = None


class CaseClosed(_CaseEvent):
    """A case was closed, with how it ended."""

    TYPE: ClassVar[str] = "tilts.case.closed"

    case_id: Id
    resolution: Resolution
    note: OptionalLongText = None
