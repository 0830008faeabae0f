"""Which institution a mediator turns to, and how institutions answer cooperations and referrals."""

from __future__ import annotations

from datetime import date
from typing import Any

from .ledger import PHASE_ANSWERS, Ledger, institution_actor
from .model import DemoInstitution
from .texts import ACK_NOTES, DISPUTE_REASONS, REFERRAL_NOTES

__all__ = ["answer_cooperation", "answer_referral", "find_institution", "institution_for"]

# Viļaka's mediator also works in Balvi, where the NVA branch and the police serve both.
_NEIGHBOURS = {"vilaka": ("balvi",), "balvi": ("vilaka",)}
_SOURCE = "tilts-demo/institution"


def find_institution(ledger: Ledger, municipality: str, kind: str) -> DemoInstitution | None:
    """An institution of `kind` serving the municipality (its own first, then a neighbour's)."""
    for place in (municipality, *_NEIGHBOURS.get(municipality, ())):
        found = [i for i in ledger.institutions.get(place, []) if i.kind == kind]
        if found:
            return ledger.rng.choice(found)
    return None


def institution_for(ledger: Ledger, municipality: str, kinds: tuple[str, ...]) -> DemoInstitution:
    """One of `kinds` (the first most likely), else the council."""
    weights = (60, 25, 10, 5)[:len(kinds)]
    for kind in ledger.rng.choices(kinds, weights, k=1) + list(kinds) + ["council"]:
        institution = find_institution(ledger, municipality, kind)
        if institution is not None:
            return institution
    raise LookupError(f"{municipality} has no institution for {kinds} and no council")


def answer_cooperation(ledger: Ledger, cooperation_id: str, institution: DemoInstitution,
                       contact_id: str, day: date) -> None:
    """Roughly a quarter of cooperations are acknowledged within days, a few disputed."""
    rng = ledger.rng
    draw = rng.random()
    acknowledge = 0.15 if institution.municipality == "valmiera" else 0.27  # seeds: less keen
    if draw >= acknowledge + 0.025:
        return
    answered = ledger.calendar.add(day, rng.randint(1, 8))
    if answered is None:
        return
    answering = contact_id if rng.random() < 0.85 else rng.choice(institution.contacts).id
    if draw < acknowledge:
        data: dict[str, Any] = {"cooperation_id": cooperation_id, "contact_id": answering}
        note = rng.choice(ACK_NOTES)
        if note:
            data["note"] = note
        _answer(ledger, institution, "tilts.cooperation.acknowledged", answered, data)
    else:
        _answer(ledger, institution, "tilts.cooperation.disputed", answered, {
            "cooperation_id": cooperation_id, "contact_id": answering,
            "reason": rng.choice(DISPUTE_REASONS)})


def answer_referral(ledger: Ledger, referral_id: str, institution: DemoInstitution,
                    made: date) -> date | None:
    """Plan the institution's answers to a referral; the day it completed it, if it did."""
    rng, calendar = ledger.rng, ledger.calendar
    first = calendar.add(made, rng.randint(1, 5))
    if first is None:
        return None
    if rng.random() < 0.12:
        _referral_answer(ledger, institution, "declined", referral_id, first)
        return None
    _referral_answer(ledger, institution, "accepted", referral_id, first)
    second = calendar.add(first, rng.randint(3, 20))
    if second is None or rng.random() < 0.15:
        return None  # still in progress when the season ends
    if rng.random() < 0.1:
        _referral_answer(ledger, institution, "declined", referral_id, second)
        return None
    _referral_answer(ledger, institution, "completed", referral_id, second)
    return second


def _referral_answer(ledger: Ledger, institution: DemoInstitution, status: str,
                     referral_id: str, day: date) -> None:
    data: dict[str, Any] = {"referral_id": referral_id}
    if status == "declined" or ledger.rng.random() < 0.6:
        data["note"] = ledger.rng.choice(REFERRAL_NOTES[status])
    _answer(ledger, institution, f"tilts.referral.{status}", day, data)


def _answer(ledger: Ledger, institution: DemoInstitution, event_type: str, day: date,
            data: dict[str, Any]) -> None:
    ledger.emit(institution_actor(institution), institution.municipality, event_type, day, 5,
                data, _SOURCE, PHASE_ANSWERS)
