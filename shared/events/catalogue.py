"""The registry of every v1 event type: its models, who may post it, and schema upcasting."""

from __future__ import annotations

import builtins
import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from shared.events.base import EventData
from shared.events.case import CaseClosed, CaseOpened
from shared.events.evaluation import EvaluationSubmitted
from shared.events.fields import STORED
from shared.events.family import (ConsentWithdrawn, FamilyErased, FamilyRegistered,
                                  FamilyRegisteredStored, PersonAdded, PersonAddedStored)
from shared.events.institution import ContactAdded, InstitutionRegistered
from shared.events.mediator import MediatorRegistered
from shared.events.municipality import MunicipalityRegistered
from shared.events.report import ReportApproved, ReportReturned, ReportSubmitted
from shared.events.work import (ActivityRecorded, CooperationAcknowledged, CooperationDisputed,
                                CooperationRecorded, OutcomeRecorded, ReferralAccepted,
                                ReferralCompleted, ReferralDeclined, ReferralMade)
from shared.roles import Role

__all__ = ["AGGREGATE_TYPES", "SPECS", "UPCASTERS", "EventSpec", "UnknownEventType",
           "UnsupportedSchemaVersion", "parse_data", "parse_stored_data", "spec_for", "upcast"]


@dataclass(frozen=True)
class EventSpec:
    """What the system knows about one event type."""

    type: str                               # "tilts.cooperation.recorded"
    data_model: builtins.type[EventData]    # what clients post
    stored_model: builtins.type[EventData]  # what the log holds (differs if personal is sealed)
    schema_version: int                     # current version of `data`; 1 for all today
    roles: frozenset[Role]                  # who may post it (scope rules are the intake's job)
    has_personal: bool                      # whether `data` may carry a `personal` block to seal


class UnknownEventType(KeyError):
    """The event type is not in the catalogue."""


class UnsupportedSchemaVersion(ValueError):
    """Stored data has a schema version this code cannot bring up to date."""


_A, _C, _M, _I = Role.ADMIN, Role.COORDINATOR, Role.MEDIATOR, Role.INSTITUTION

# (posted model, stored model or None, roles) -- the contract's "who may post" column.
_TABLE: list[tuple[type[EventData], type[EventData] | None, frozenset[Role]]] = [
    (MunicipalityRegistered, None, frozenset({_A})),
    (InstitutionRegistered, None, frozenset({_A, _C})),
    (ContactAdded, None, frozenset({_A, _C, _I})),
    (MediatorRegistered, None, frozenset({_A, _C})),
    (FamilyRegistered, FamilyRegisteredStored, frozenset({_M})),
    (PersonAdded, PersonAddedStored, frozenset({_M})),
    (ConsentWithdrawn, None, frozenset({_M, _C})),
    (FamilyErased, None, frozenset({_C, _A})),
    (CaseOpened, None, frozenset({_M})),
    (CaseClosed, None, frozenset({_M})),
    (ActivityRecorded, None, frozenset({_M})),
    (CooperationRecorded, None, frozenset({_M})),
    (CooperationAcknowledged, None, frozenset({_I})),
    (CooperationDisputed, None, frozenset({_I})),
    (ReferralMade, None, frozenset({_M})),
    (ReferralAccepted, None, frozenset({_I})),
    (ReferralCompleted, None, frozenset({_I})),
    (ReferralDeclined, None, frozenset({_I})),
    (OutcomeRecorded, None, frozenset({_M})),
    (ReportSubmitted, None, frozenset({_M})),
    (ReportApproved, None, frozenset({_C})),
    (ReportReturned, None, frozenset({_C})),
    (EvaluationSubmitted, None, frozenset({_I})),
]

SPECS: Mapping[str, EventSpec] = MappingProxyType({
    model.TYPE: EventSpec(type=model.TYPE, data_model=model, stored_model=stored or model,
                          schema_version=1, roles=roles, has_personal=stored is not None)
    for model, stored, roles in _TABLE
})
"""Every event type of the contract, by CloudEvents type."""

AGGREGATE_TYPES: frozenset[str] = frozenset({
    "municipality", "institution", "mediator", "family", "case", "activity", "cooperation",
    "referral", "report", "evaluation",
})
"""Every value `EventData.aggregate().type` can take."""

UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""(type, from_version) -> function turning `data` of that version into from_version + 1."""


def spec_for(event_type: str) -> EventSpec | None:
    """The spec of an event type, or None if the catalogue does not know it."""
    return SPECS.get(event_type)


def _spec(event_type: str) -> EventSpec:
    spec = spec_for(event_type)
    if spec is None:
        raise UnknownEventType(event_type)
    return spec


def parse_data(event_type: str, data: Any) -> EventData:
    """Validate posted `data`; KeyError for an unknown type, ValidationError for bad data."""
    return _spec(event_type).data_model.model_validate(data)


def upcast(event_type: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
    """Bring stored `data` of `schema_version` up to the type's current version."""
    target = _spec(event_type).schema_version
    if not 1 <= schema_version <= target:
        raise UnsupportedSchemaVersion(
            f"{event_type} v{schema_version} is not between v1 and v{target}")
    if schema_version == target:
        return data
    data = copy.deepcopy(data)  # upcasters may then edit in place without touching the caller's
    for version in range(schema_version, target):
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise UnsupportedSchemaVersion(f"no upcaster for {event_type} v{version}")
        data = step(data)
    return data


def parse_stored_data(event_type: str, data: Any, schema_version: int) -> EventData:
    """Validate `data` read from the log, upcasting it first; the result has `personal` sealed."""
    spec = _spec(event_type)
    if schema_version != spec.schema_version:
        if not isinstance(data, dict):
            raise UnsupportedSchemaVersion(f"{event_type} v{schema_version} data is not an object")
        data = upcast(event_type, schema_version, data)
    return spec.stored_model.model_validate(data, context=STORED)
