"""Read model of referrals: a case referred to an institution, and how far the institution took it."""

from __future__ import annotations

from shared.events.work import ReferralAccepted, ReferralCompleted, ReferralDeclined, ReferralMade

from .changes import Change, Insert, Update
from .facts import Fact
from .known import Known
from .work import family_of, stamped


def referral_made(fact: Fact, known: Known) -> list[Change]:
    data: ReferralMade = fact.data  # type: ignore[assignment]
    return [Insert("referrals", {
        "referral_id": data.referral_id, **stamped(fact), "case_id": data.case_id,
        "family_id": family_of(data, known), "institution_id": data.institution_id, "service": data.service})]


def _moved(fact: Fact, referral_id: str, status: str, note: str | None) -> list[Change]:
    return [Update("referrals", {"referral_id": referral_id}, {
        f"{status}_sequence": fact.sequence, f"{status}_at": fact.time, f"{status}_note": note})]


def referral_accepted(fact: Fact, known: Known) -> list[Change]:
    data: ReferralAccepted = fact.data  # type: ignore[assignment]
    return _moved(fact, data.referral_id, "accepted", data.note)


def referral_completed(fact: Fact, known: Known) -> list[Change]:
    data: ReferralCompleted = fact.data  # type: ignore[assignment]
    return _moved(fact, data.referral_id, "completed", data.note)


def referral_declined(fact: Fact, known: Known) -> list[Change]:
    data: ReferralDeclined = fact.data  # type: ignore[assignment]
    return _moved(fact, data.referral_id, "declined", data.note)


HANDLERS = {
    ReferralMade: referral_made,
    ReferralAccepted: referral_accepted,
    ReferralCompleted: referral_completed,
    ReferralDeclined: referral_declined,
}
