"""A realistic, invented example of `data` for every event type, for reuse across tests."""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["EXAMPLES", "SEALED_FAMILY", "SEALED_PERSON", "STORED_EXAMPLES", "sealed"]

MUNICIPALITY = "jelgava"
SCHOOL = "inst-jelgava-ozolu-pamatskola"
SOCIAL_SERVICE = "inst-jelgava-socialais-dienests"
TEACHER = "contact-ozolu-socpedagogs-1"
MEDIATOR = "med-0007"
FAMILY = "fam-5c1d2e7a-3b7f-4f0e-9d1a-2a6f0c9b8e41"
MOTHER = "per-8a0f5f1c-6f2b-4c34-a1a7-0d1c6a3e9b10"
SON = "per-2d44b1e0-0b8c-4f60-8f7e-5c2b9a0e7d23"
CASE = "case-2019-09-jelgava-017"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sealed(family_id: str = FAMILY, size: int = 61) -> dict[str, str]:
    """A well-formed (but meaningless) sealed personal block for `family_id`."""
    return {"alg": "A256GCM", "kid": family_id, "nonce": _b64url(bytes(range(12))),
            "ct": _b64url(bytes((7 * i) % 256 for i in range(size)))}


SEALED_FAMILY = sealed()
SEALED_PERSON = sealed(size=77)

EXAMPLES: dict[str, dict[str, Any]] = {
    "tilts.municipality.registered": {"municipality_id": MUNICIPALITY,
                                      "name": "Jelgavas valstspilsēta"},
    "tilts.institution.registered": {
        "institution_id": SCHOOL, "municipality_id": MUNICIPALITY,
        "name": "Jelgavas Ozolu pamatskola", "kind": "school", "domains": ["education", "social"],
    },
    "tilts.institution.contact_added": {
        "institution_id": SCHOOL, "contact_id": TEACHER, "name": "Ilze Bērziņa",
        "role": "sociālā pedagoģe",
    },
    "tilts.mediator.registered": {
        "mediator_id": MEDIATOR, "display_name": "Aivars Kalējs",
        "municipality_ids": [MUNICIPALITY, "ozolnieki"],
    },
    "tilts.family.registered": {
        "family_id": FAMILY, "municipality_id": MUNICIPALITY,
        "consent": {"given_on": "2019-09-03",
                    "scope": "Darba uzskaite ar izglītības iestādēm un sociālo dienestu"},
        "personal": {"surname": "Ozoliņi", "address": "Lāčplēša iela 99-7, Jelgava",
                     "phone": "+371 20 000 000"},
    },
    "tilts.person.added": {
        "family_id": FAMILY, "person_id": SON, "relation": "child", "birth_year": 2012,
        "personal": {"given_name": "Jānis", "surname": "Ozoliņš", "personal_code": "010112-20000"},
    },
    "tilts.family.consent_withdrawn": {"family_id": FAMILY},
    "tilts.family.erased": {"family_id": FAMILY, "reason": "Ģimenes pieprasījums dzēst datus"},
    "tilts.case.opened": {
        "case_id": CASE, "family_id": FAMILY, "domain": "education",
        "need": "Neattaisnoti kavējumi skolā",
        "description": ("Dēls 2. semestrī kavējis 14 dienas.\n"
                        "Jānoskaidro iemesli ar klases audzinātāju."),
    },
    "tilts.case.closed": {"case_id": CASE, "resolution": "resolved",
                          "note": "Apmeklējums uzlabojies, kavējumu vairs nav."},
    "tilts.activity.recorded": {
        "activity_id": "act-2019-10-02-001", "kind": "home_visit", "domain": "education",
        "family_id": FAMILY, "case_id": CASE, "person_ids": [MOTHER, SON], "participants": 3,
        "duration_minutes": 45, "note": "Pārrunāts, kā nokļūt skolā ziemā.",
    },
    "tilts.cooperation.recorded": {
        "cooperation_id": "coop-2019-10-03-001", "institution_id": SCHOOL, "contact_id": TEACHER,
        "domain": "education", "channel": "meeting", "purpose": "kavējumu iemesli",
        "family_id": FAMILY, "case_id": CASE,
    },
    "tilts.cooperation.acknowledged": {
        "cooperation_id": "coop-2019-10-03-001", "contact_id": TEACHER,
        "note": "Tikšanās notika skolā, piedalījās arī klases audzinātāja.",
    },
    "tilts.cooperation.disputed": {
        "cooperation_id": "coop-2019-10-03-002", "contact_id": TEACHER,
        "reason": "Šajā dienā tikšanās nenotika",
    },
    "tilts.referral.made": {
        "referral_id": "ref-2019-10-10-001", "case_id": CASE, "institution_id": SOCIAL_SERVICE,
        "service": "Trūcīgas ģimenes statusa izvērtēšana",
    },
    "tilts.referral.accepted": {"referral_id": "ref-2019-10-10-001",
                                "note": "Pieņemts, tikšanās 15. oktobrī."},
    "tilts.referral.completed": {"referral_id": "ref-2019-10-10-001",
                                 "note": "Statuss piešķirts uz sešiem mēnešiem."},
    "tilts.referral.declined": {"referral_id": "ref-2019-10-10-002",
                                "note": "Ģimene nav deklarēta mūsu novadā."},
    "tilts.outcome.recorded": {
        "outcome_id": "out-2019-11-04-001", "case_id": CASE, "kind": "attendance_improved",
        "person_ids": [SON], "note": "Novembrī neviena neattaisnota kavējuma.",
    },
    "tilts.report.submitted": {
        "report_id": "rep-med-0007-2019-10", "month": "2019-10",
        "narrative": {
            "main_issues": "Skolas kavējumi, trūcīgas ģimenes statusa dokumenti.",
            "glad_about": "Divi bērni atsāka iet skolā.",
            "challenges": "Ģimenes bieži maina dzīvesvietu.",
            "next_priorities": "Pirmsskolas reģistrācija 5-6 gadus veciem bērniem.",
        },
    },
    "tilts.report.approved": {"report_id": "rep-med-0007-2019-10"},
    "tilts.report.returned": {"report_id": "rep-med-0007-2019-09",
                              "note": "Lūdzu papildināt sadaļu par izaicinājumiem."},
    "tilts.evaluation.submitted": {
        "evaluation_id": "eval-2020-04-ozolu-001", "institution_id": SCHOOL,
        "contact_id": TEACHER, "mediator_id": MEDIATOR, "domain": "education",
        "answers": {
            "improved_communication": "yes", "identified_needs": "yes", "improved_access": "partly",
            "coordinated_actions": "yes", "joint_planning": "no",
            "key_achievements": "Bērni regulāri apmeklē skolu; vecāki nāk uz sapulcēm.",
            "keep_in_view": "Attālinātās mācības bērniem bez datora.",
        },
    },
}
"""Posted `data` by event type: what a client sends."""

STORED_EXAMPLES: dict[str, dict[str, Any]] = {
    **EXAMPLES,
    "tilts.family.registered": {**EXAMPLES["tilts.family.registered"], "personal": SEALED_FAMILY},
    "tilts.person.added": {**EXAMPLES["tilts.person.added"], "personal": SEALED_PERSON},
}
"""Stored `data` by event type: what the log holds (personal blocks sealed)."""
