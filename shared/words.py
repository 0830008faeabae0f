"""What people read for the contract's codes, in Latvian and English: one wording for the
printed reports and for the messages to institutions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")

DOMAINS: dict[str, tuple[str, str]] = {
    "education": ("izglītība", "education"), "social": ("sociālie jautājumi", "social matters"),
    "health": ("veselības aprūpe", "health care"), "employment": ("nodarbinātība", "employment"),
    "housing": ("mājoklis", "housing"), "legal": ("tiesiskie jautājumi", "legal matters"),
    "documents": ("dokumenti", "documents"), "community": ("kopiena un kultūra", "community and culture"),
}
CHANNELS: dict[str, tuple[str, str]] = {
    "meeting": ("tikšanās", "meeting"), "phone": ("telefona saruna", "phone call"), "email": ("e-pasts", "email"),
    "joint_visit": ("kopīgs apmeklējums", "joint visit"),
    "commission_meeting": ("komisijas sēde", "commission meeting"),
}
# An institution's answer to a cooperation (the word agrees with "sadarbība", feminine).
COOPERATION_ANSWERS: dict[str, tuple[str, str]] = {
    "acknowledged": ("apstiprināta", "acknowledged"), "disputed": ("apstrīdēta", "disputed"),
}
# How far a referral has gone (the word agrees with "nosūtījums", masculine), as the institution's
# buttons say it: Pieņemt, Atzīmēt kā izpildītu, Noraidīt.
REFERRAL_STATES: dict[str, tuple[str, str]] = {
    "made": ("nosūtīts", "made"), "accepted": ("pieņemts", "accepted"), "completed": ("izpildīts", "completed"),
    "declined": ("noraidīts", "declined"),
}


def in_language(table: Mapping[str, tuple[T, T]], lang: str) -> dict[str, T]:
    """One language's column of a (Latvian, English) table."""
    column = ("lv", "en").index(lang)
    return {code: pair[column] for code, pair in table.items()}


def latvian_count(count: int, singular: str, plural: str) -> str:
    """`count` with the Latvian noun form it takes: 1, 21, 101 take the singular; 11 the plural."""
    return f"{count} {singular if count % 10 == 1 and count % 100 != 11 else plural}"
