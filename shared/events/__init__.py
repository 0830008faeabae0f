"""The Tilts event catalogue (v1): one frozen model per event type's `data`, and a registry."""

from shared.events.base import AggregateRef, EventData
from shared.events.case import CaseClosed, CaseOpened
from shared.events.catalogue import (AGGREGATE_TYPES, SPECS, UPCASTERS, EventSpec,
                                     UnknownEventType, UnsupportedSchemaVersion, parse_data,
                                     parse_stored_data, spec_for, upcast)
from shared.events.evaluation import EvaluationAnswers, EvaluationSubmitted
from shared.events.family import (Consent, ConsentWithdrawn, FamilyErased, FamilyRegistered,
                                  FamilyRegisteredStored, PersonAdded, PersonAddedStored)
from shared.events.fields import (ActivityKind, Answer, BirthYear, Channel, Domain, Domains,
                                  DurationMinutes, Id, InstitutionKind, IsoDate, LongText, Month,
                                  MunicipalityIds, Name, OptionalLongText, OptionalName,
                                  OptionalShortText, OutcomeKind, Participants, PersonIds,
                                  Relation, Resolution, ShortText)
from shared.events.institution import ContactAdded, InstitutionRegistered
from shared.events.mediator import MediatorRegistered
from shared.events.municipality import MunicipalityRegistered
from shared.events.personal import FamilyPersonal, PersonPersonal, SealedPersonal
from shared.events.report import Narrative, ReportApproved, ReportReturned, ReportSubmitted
from shared.events.work import (ActivityRecorded, CooperationAcknowledged, CooperationDisputed,
                                CooperationRecorded, OutcomeRecorded, ReferralAccepted,
                                ReferralCompleted, ReferralDeclined, ReferralMade)

__all__ = [
    # registry
    "AGGREGATE_TYPES", "SPECS", "UPCASTERS", "AggregateRef", "EventData", "EventSpec",
    "UnknownEventType", "UnsupportedSchemaVersion", "parse_data", "parse_stored_data",
    "spec_for", "upcast",
    # field types and enumerations
    "ActivityKind", "Answer", "BirthYear", "Channel", "Domain", "Domains", "DurationMinutes", "Id",
    "InstitutionKind", "IsoDate", "LongText", "Month", "MunicipalityIds", "Name",
    "OptionalLongText", "OptionalName", "OptionalShortText", "OutcomeKind", "Participants",
    "PersonIds", "Relation", "Resolution", "ShortText",
    # personal data
    "FamilyPersonal", "PersonPersonal", "SealedPersonal",
    # events and their parts
    "ActivityRecorded", "CaseClosed", "CaseOpened", "Consent", "ConsentWithdrawn", "ContactAdded",
    "CooperationAcknowledged", "CooperationDisputed", "CooperationRecorded",
    "EvaluationAnswers", "EvaluationSubmitted", "FamilyErased", "FamilyRegistered",
    "FamilyRegisteredStored", "InstitutionRegistered", "MediatorRegistered",
    "MunicipalityRegistered", "Narrative", "OutcomeRecorded", "PersonAdded", "PersonAddedStored",
    "ReferralAccepted", "ReferralCompleted", "ReferralDeclined", "ReferralMade",
    "ReportApproved", "ReportReturned", "ReportSubmitted",
]
