"""Events of the mediator's day-to-day work: activities, cooperations, referrals, outcomes."""

from __future__ import annotations

from typing import ClassVar

from shared.events.base import AggregateRef, EventData
from shared.events.fields import (ActivityKind, Channel, Domain, DurationMinutes, Id,
                                  OptionalLongText, OutcomeKind, Participants, PersonIds, ShortText)

__all__ = ["ActivityRecorded", "CooperationAcknowledged", "CooperationDisputed",
           "CooperationRecorded", "OutcomeRecorded", "ReferralAccepted", "ReferralCompleted",
           "ReferralDeclined", "ReferralMade"]


class ActivityRecorded(EventData):
    """A mediator did something: a home visit, a consultation, a community event..."""

    TYPE: ClassVar[str] = "tilts.activity.recorded"
    AGGREGATE: ClassVar[str] = "activity"
    AGGREGATE_ID: ClassVar[str] = "activity_id"

    activity_id: Id
    kind: ActivityKind
    domain: Domain
    family_id: Id | None = None
    case_id: Id | None = None
    person_ids: PersonIds = ()
    participants: Participants | None = None
    duration_minutes: DurationMinutes | None = None
    note: OptionalLongText = None
    # Additive to v1, optional: places work naming neither family nor case in one of the
    # mediator's municipalities. Without it such work goes to the mediator's home municipality,
    # the first their registration names (a cooperation: to the institution's, if they work there).
    municipality_id: Id | None = None

    def aggregate(self) -> AggregateRef:
        """The case when one is named (so a closed case can refuse it), else the activity."""
        if self.case_id is not None:
            return AggregateRef("case", self.case_id)
        return AggregateRef("activity", self.activity_id)


class _CooperationEvent(EventData):
    AGGREGATE: ClassVar[str] = "cooperation"
    AGGREGATE_ID: ClassVar[str] = "cooperation_id"


class CooperationRecorded(_CooperationEvent):
    """A mediator cooperated with a named person at an institution."""

    TYPE: ClassVar[str] = "tilts.cooperation.recorded"

    cooperation_id: Id
    institution_id: Id
    contact_id: Id
    domain: Domain
    channel: Channel
    purpose: ShortText
    family_id: Id | None = None
    case_id: Id | None = None
    # Additive to v1, as on ActivityRecorded.
    municipality_id: Id | None = None


class CooperationAcknowledged(_CooperationEvent):
    """The institution confirmed that the cooperation took place."""

    TYPE: ClassVar[str] = "tilts.cooperation.acknowledged"

    cooperation_id: Id
    contact_id: Id
    note: OptionalLongText = None


class CooperationDisputed(_CooperationEvent):
    """The institution disputed the recorded cooperation."""

    TYPE: ClassVar[str] = "tilts.cooperation.disputed"

    cooperation_id: Id
    contact_id: Id
    reason: ShortText


class _ReferralEvent(EventData):
    AGGREGATE: ClassVar[str] = "referral"
    AGGREGATE_ID: ClassVar[str] = "referral_id"


class ReferralMade(_ReferralEvent):
    """A mediator referred a case to an institution for a service."""

    TYPE: ClassVar[str] = "tilts.referral.made"

    referral_id: Id
    case_id: Id
    institution_id: Id
    service: ShortText


class ReferralAccepted(_ReferralEvent):
    """The institution accepted the referral."""

    TYPE: ClassVar[str] = "tilts.referral.accepted"

    referral_id: Id
    note: OptionalLongText = None


class ReferralCompleted(_ReferralEvent):
    """The institution provided the referred service."""

    TYPE: ClassVar[str] = "tilts.referral.completed"

    referral_id: Id
    note: OptionalLongText = None


class ReferralDeclined(_ReferralEvent):
    """The institution declined the referral."""

    TYPE: ClassVar[str] = "tilts.referral.declined"

    referral_id: Id
    note: OptionalLongText = None


class OutcomeRecorded(EventData):
    """A result was achieved in a case, e.g. a child enrolled in school."""

    TYPE: ClassVar[str] = "tilts.outcome.recorded"
    AGGREGATE: ClassVar[str] = "case"
    AGGREGATE_ID: ClassVar[str] = "case_id"

    outcome_id: Id
    case_id: Id
    kind: OutcomeKind
    person_ids: PersonIds = ()
    note: OptionalLongText = None
