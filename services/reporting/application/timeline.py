"""A case's timeline: everything recorded on it, in the order it happened in the field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.reporting.queries.casework import CaseRecords

from .periods import riga_text

Row = Mapping[str, Any]


class _Entry(dict):
    """A timeline entry that remembers its instant, for sorting."""

    instant: datetime


def _entry(type_: str, sequence: int, time: datetime, **details: Any) -> _Entry:
    entry = _Entry(type=type_, sequence=sequence, time=riga_text(time), **details)
    entry.instant = time
    return entry


def _activity(a: Row) -> _Entry:
    return _entry("tilts.activity.recorded", a["sequence"], a["time"], by=a["mediator_id"],
                  activity_id=a["activity_id"], kind=a["kind"], domain=a["domain"], person_ids=list(a["person_ids"]),
                  participants=a["participants"], duration_minutes=a["duration_minutes"], note=a["note"])


def _cooperation(c: Row) -> list[_Entry]:
    entries = [_entry("tilts.cooperation.recorded", c["sequence"], c["time"], by=c["mediator_id"],
                      cooperation_id=c["cooperation_id"],
                      institution={"institution_id": c["institution_id"], "name": c["institution_name"]},
                      contact={"contact_id": c["contact_id"], "name": c["contact_name"], "role": c["contact_role"]},
                      domain=c["domain"], channel=c["channel"], purpose=c["purpose"])]
    if c["answer"]:
        entries.append(_entry(f"tilts.cooperation.{c['answer']}", c["answer_sequence"], c["answered_at"],
                              cooperation_id=c["cooperation_id"], note=c["answer_note"]))
    return entries


def _referral(r: Row) -> list[_Entry]:
    entries = [_entry("tilts.referral.made", r["sequence"], r["time"], by=r["mediator_id"],
                      referral_id=r["referral_id"],
                      institution={"institution_id": r["institution_id"], "name": r["institution_name"]},
                      service=r["service"])]
    for status in ("accepted", "completed", "declined"):
        if r[f"{status}_sequence"] is not None:
            entries.append(_entry(f"tilts.referral.{status}", r[f"{status}_sequence"], r[f"{status}_at"],
                                  referral_id=r["referral_id"], note=r[f"{status}_note"]))
    return entries


def _outcome(o: Row) -> _Entry:
    return _entry("tilts.outcome.recorded", o["sequence"], o["time"], by=o["mediator_id"], outcome_id=o["outcome_id"],
                  kind=o["kind"], person_ids=list(o["person_ids"]), note=o["note"])


def family_timeline(records: CaseRecords) -> list[dict[str, Any]]:
    """The work on a family outside its cases (home visits, talks with a school), by field time."""
    entries = [_activity(a) for a in records.activities]
    entries += [e for c in records.cooperations for e in _cooperation(c)]
    return _in_order(entries)


def _in_order(entries: list[_Entry]) -> list[dict[str, Any]]:
    return [dict(e) for e in sorted(entries, key=lambda e: (e.instant, e["sequence"]))]


def timeline(case: Row, records: CaseRecords) -> list[dict[str, Any]]:
    """Every entry of a case, by field time (then by sequence)."""
    entries = [_entry("tilts.case.opened", case["sequence"], case["opened_at"], by=case["opened_by"],
                      domain=case["domain"], need=case["need"], description=case["description"])]
    entries += [_activity(a) for a in records.activities]
    entries += [e for c in records.cooperations for e in _cooperation(c)]
    entries += [e for r in records.referrals for e in _referral(r)]
    entries += [_outcome(o) for o in records.outcomes]
    if case["status"] == "closed":
        entries.append(_entry("tilts.case.closed", case["closed_sequence"], case["closed_at"], by=case["closed_by"],
                              resolution=case["resolution"], note=case["closing_note"]))
    return _in_order(entries)
