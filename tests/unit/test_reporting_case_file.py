"""A case's timeline and a family's personal data as a read shows them (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.reporting.application.personal import (ERASED, NONE, SHOWN, WITHHELD, SealedBlock, opened,
                                                     personal_status)
from services.reporting.application.timeline import timeline
from services.reporting.queries.casework import CaseRecords
from shared.crypto.sealing import new_data_key, seal_personal


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


CASE = {"case_id": "case-1", "sequence": 10, "opened_at": _at("2020-10-20T10:00:00+03:00"), "opened_by": "med-1",
        "domain": "education", "need": "skolas apmeklējums", "description": None, "status": "closed",
        "closed_sequence": 60, "closed_at": _at("2020-11-02T10:00:00+02:00"), "closed_by": "med-1",
        "resolution": "resolved", "closing_note": None}


def test_the_timeline_runs_in_field_time_with_answers_and_moves_where_they_happened() -> None:
    records = CaseRecords(
        activities=[{"activity_id": "a-late", "sequence": 50, "time": _at("2020-10-25T03:10:00+02:00"),
                     "mediator_id": "med-1", "kind": "home_visit", "domain": "education", "person_ids": [],
                     "participants": None, "duration_minutes": 30, "note": None},
                    {"activity_id": "a-first", "sequence": 20, "time": _at("2020-10-25T03:50:00+03:00"),
                     "mediator_id": "med-1", "kind": "consultation", "domain": "education", "person_ids": ["p1"],
                     "participants": None, "duration_minutes": None, "note": None}],
        cooperations=[{"cooperation_id": "co-1", "sequence": 30, "time": _at("2020-10-26T09:00:00+02:00"),
                       "mediator_id": "med-1", "institution_id": "i1", "institution_name": "Skola",
                       "contact_id": "c1", "contact_name": "Ilze", "contact_role": "skolotāja",
                       "domain": "education", "channel": "meeting", "purpose": "kavējumi", "answer": "acknowledged",
                       "answer_sequence": 55, "answered_at": _at("2020-10-30T09:00:00+02:00"), "answer_note": None}],
        referrals=[{"referral_id": "r-1", "sequence": 40, "time": _at("2020-10-27T09:00:00+02:00"),
                    "mediator_id": "med-1", "institution_id": "i1", "institution_name": "Skola", "service": "x",
                    "accepted_sequence": 45, "accepted_at": _at("2020-10-28T09:00:00+02:00"), "accepted_note": None,
                    "completed_sequence": None, "completed_at": None, "completed_note": None,
                    "declined_sequence": None, "declined_at": None, "declined_note": None}],
        outcomes=[])
    entries = timeline(CASE, records)
    assert [(e["type"], e["sequence"]) for e in entries] == [
        ("tilts.case.opened", 10), ("tilts.activity.recorded", 20), ("tilts.activity.recorded", 50),
        ("tilts.cooperation.recorded", 30), ("tilts.referral.made", 40), ("tilts.referral.accepted", 45),
        ("tilts.cooperation.acknowledged", 55), ("tilts.case.closed", 60)]
    assert entries[1]["time"] == "2020-10-25T03:50:00+03:00" and entries[2]["time"] == "2020-10-25T03:10:00+02:00"
    assert entries[3]["contact"] == {"contact_id": "c1", "name": "Ilze", "role": "skolotāja"}


def test_personal_data_shows_only_for_an_allowed_reader_with_the_familys_key() -> None:
    key = new_data_key()
    sealed = seal_personal(key, "fam-1", "ev-1", {"surname": "Ozoliņi"})
    blocks = [SealedBlock("ev-1", sealed)]
    assert personal_status(allowed=True, erased=False, key=key, blocks=blocks) == SHOWN
    assert opened(key, blocks[0]) == {"surname": "Ozoliņi"}
    assert personal_status(allowed=False, erased=False, key=key, blocks=blocks) == WITHHELD
    assert personal_status(allowed=True, erased=False, key=None, blocks=blocks) == ERASED
    assert personal_status(allowed=True, erased=True, key=key, blocks=blocks) == ERASED
    assert personal_status(allowed=True, erased=False, key=key, blocks=[SealedBlock("ev-1", None)]) == NONE


def test_a_block_bound_to_another_event_or_opened_with_another_key_stays_closed() -> None:
    key = new_data_key()
    sealed = seal_personal(key, "fam-1", "ev-1", {"surname": "Ozoliņi"})
    assert opened(key, SealedBlock("ev-2", sealed)) is None
    assert opened(new_data_key(), SealedBlock("ev-1", sealed)) is None
    assert opened(None, SealedBlock("ev-1", sealed)) is None


def test_times_in_the_timeline_are_riga_times() -> None:
    case = {**CASE, "status": "open", "opened_at": datetime(2020, 1, 14, 8, 0, tzinfo=UTC)}
    [entry] = timeline(case, CaseRecords([], [], [], []))
    assert entry["time"] == "2020-01-14T10:00:00+02:00" and entry["by"] == "med-1"
