"""Events of the institution aggregate: the institution and its contact people."""

from __future__ import annotations

from typing import ClassVar

from shared.events.base import EventData
from shared.events.fields import Domains, Id, InstitutionKind, Name, ShortText

__all__ = ["ContactAdded", "InstitutionRegistered"]


class _InstitutionEvent(EventData):
    AGGREGATE: ClassVar[str] = "institution"
    AGGREGATE_ID: ClassVar[str] = "institution_id"


class InstitutionRegistered(_InstitutionEvent):
    """An institution the mediators cooperate with was registered in a municipality."""

    TYPE: ClassVar[str] = "tilts.institution.registered"

    institution_id: Id
    municipality_id: Id
    name: Name
    kind: InstitutionKind
    domains: Domains = ()


class ContactAdded(_InstitutionEvent):
    """A person at an institution (e.g. a social pedagogue) became a contact."""

    TYPE: ClassVar[str] = "tilts.institution.contact_added"

    institution_id: Id
    contact_id: Id
    name: Name
    role: ShortText  # the person's job title, e.g. "sociālais pedagogs"
