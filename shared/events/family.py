"""Events of the family aggregate: registration, members, consent and erasure."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from shared.events.base import EventData
from shared.events.fields import (BirthYear, Id, IsoDate, Relation, ShortText,
                                  not_after_tomorrow)
from shared.events.personal import FamilyPersonal, PersonPersonal, SealedPersonal

__all__ = ["Consent", "ConsentWithdrawn", "FamilyErased", "FamilyRegistered",
           "FamilyRegisteredStored", "PersonAdded", "PersonAddedStored"]

_EARLIEST_CONSENT = date(2000, 1, 1)


def _plausible_consent_date(value: date) -> date:
    if value < _EARLIEST_CONSENT:
        raise PydanticCustomError("date_too_early", "Consent date must be 2000-01-01 or later")
    return not_after_tomorrow(value)


class Consent(BaseModel):
    """The family's consent to having their work recorded: when, and for what."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    given_on: Annotated[IsoDate, AfterValidator(_plausible_consent_date)]
    scope: ShortText


class _FamilyEvent(EventData):
    AGGREGATE: ClassVar[str] = "family"
    AGGREGATE_ID: ClassVar[str] = "family_id"


def _sealed_with_family_key(family_id: str, personal: SealedPersonal | None) -> None:
    if personal is not None and personal.kid != family_id:
        raise PydanticCustomError("personal_kid",
                                  "Personal data must be sealed with the family's key")


class FamilyRegistered(_FamilyEvent):
    """A family agreed to work with a mediator (posted form: plain personal data)."""

    TYPE: ClassVar[str] = "tilts.family.registered"

    family_id: Id
    municipality_id: Id
    consent: Consent
    personal: FamilyPersonal | None = None


class FamilyRegisteredStored(FamilyRegistered):
    """`FamilyRegistered` as the log holds it: personal data sealed with the family's key."""

    personal: SealedPersonal | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _kid_is_family(self) -> FamilyRegisteredStored:
        _sealed_with_family_key(self.family_id, self.personal)
        return self


class PersonAdded(_FamilyEvent):
    """A family member was added (posted form: plain personal data)."""

    TYPE: ClassVar[str] = "tilts.person.added"

    family_id: Id
    person_id: Id
    relation: Relation
    birth_year: BirthYear
    personal: PersonPersonal | None = None


class PersonAddedStored(PersonAdded):
    """`PersonAdded` as the log holds it: personal data sealed with the family's key."""

    personal: SealedPersonal | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _kid_is_family(self) -> PersonAddedStored:
        _sealed_with_family_key(self.family_id, self.personal)
        return self


class ConsentWithdrawn(_FamilyEvent):
    """The family withdrew consent: no new work may be recorded for it."""

    TYPE: ClassVar[str] = "tilts.family.consent_withdrawn"

    family_id: Id


class FamilyErased(_FamilyEvent):
    """The family's key was destroyed, so its personal data can no longer be read."""

    TYPE: ClassVar[str] = "tilts.family.erased"

    family_id: Id
    reason: ShortText
