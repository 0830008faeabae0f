"""Read model of the cooperation ledger: who cooperated with whom, and the institution's answer."""

from __future__ import annotations

from shared.events.work import CooperationAcknowledged, CooperationDisputed, CooperationRecorded

from .changes import Change, Insert, Update
from .facts import Fact
from .known import Known
from .work import family_of, stamped


def cooperation_recorded(fact: Fact, known: Known) -> list[Change]:
    data: CooperationRecorded = fact.data  # type: ignore[assignment]
    return [Insert("cooperations", {
        "cooperation_id": data.cooperation_id, **stamped(fact), "institution_id": data.institution_id,
        "contact_id": data.contact_id, "domain": str(data.domain), "channel": str(data.channel),
        "purpose": data.purpose, "family_id": family_of(data, known), "case_id": data.case_id})]


def _answered(fact: Fact, cooperation_id: str, answer: str, contact_id: str, note: str | None) -> list[Change]:
    return [Update("cooperations", {"cooperation_id": cooperation_id}, {
        "answer": answer, "answer_sequence": fact.sequence, "answered_at": fact.time,
        "answer_contact_id": contact_id, "answer_note": note, "answer_event_id": fact.event_id})]


def cooperation_acknowledged(fact: Fact, known: Known) -> list[Change]:
    data: CooperationAcknowledged = fact.data  # type: ignore[assignment]
    return _answered(fact, data.cooperation_id, "acknowledged", data.contact_id, data.note)


def cooperation_disputed(fact: Fact, known: Known) -> list[Change]:
    data: CooperationDisputed = fact.data  # type: ignore[assignment]
    return _answered(fact, data.cooperation_id, "disputed", data.contact_id, data.reason)


HANDLERS = {
    CooperationRecorded: cooperation_recorded,
    CooperationAcknowledged: cooperation_acknowledged,
    CooperationDisputed: cooperation_disputed,
}
