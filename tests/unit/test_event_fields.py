"""Field types of the event catalogue: ids, texts, months, years, durations, enumerations."""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from shared.events import (ActivityKind, Answer, BirthYear, Channel, Consent, Domain, Domains,
                           DurationMinutes, Id, InstitutionKind, LongText, Month, MunicipalityIds,
                           Name, OptionalLongText, OptionalName, OutcomeKind, Participants,
                           PersonIds, Relation, Resolution, ShortText)

ID = TypeAdapter(Id)
NAME = TypeAdapter(Name)
SHORT = TypeAdapter(ShortText)
LONG = TypeAdapter(LongText)
OPT_NAME = TypeAdapter(OptionalName)
OPT_LONG = TypeAdapter(OptionalLongText)
MONTH = TypeAdapter(Month)
BIRTH_YEAR = TypeAdapter(BirthYear)
DURATION = TypeAdapter(DurationMinutes)
PARTICIPANTS = TypeAdapter(Participants)

ID_ALPHABET = string.ascii_letters + string.digits + "._:-"
ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def rejects(adapter: TypeAdapter[Any], value: Any) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return True
    return False


# --- ids -------------------------------------------------------------------------------------

@settings(max_examples=200)
@given(st.text(alphabet=ID_ALPHABET, min_size=1, max_size=64))
def test_any_ascii_id_of_up_to_64_characters_is_accepted(value: str) -> None:
    assert ID.validate_python(value) == value


@settings(max_examples=300)
@given(st.text(max_size=80).filter(lambda s: not ID_PATTERN.fullmatch(s)))
def test_any_string_outside_the_id_pattern_is_rejected(value: str) -> None:
    assert rejects(ID, value)


@settings(max_examples=200)
@given(st.text(alphabet=ID_ALPHABET, max_size=30), st.text(alphabet=ID_ALPHABET, max_size=30),
       st.characters().filter(lambda c: c not in ID_ALPHABET))
def test_an_id_with_any_foreign_character_inside_is_rejected(head: str, tail: str,
                                                             bad: str) -> None:
    assert rejects(ID, head + bad + tail)


@pytest.mark.parametrize("value", [
    "",                       # empty
    "a" * 65,                 # too long
    "fam 1",                  # space
    "fam-1\n",                # trailing newline (Python's `$` would let it through)
    "\nfam-1",
    "f\u0430m-1",             # Cyrillic "а"
    "fam-\uff11",             # fullwidth digit one
    "fam-\u0661",             # Arabic-Indic digit one
    "fam-e\u0301",            # combining acute accent
    "famīlija",               # Latvian letter
    "fam/1", "fam#1", "fam\t1", "fam\x00",
])
def test_an_id_outside_the_ascii_pattern_is_rejected(value: str) -> None:
    assert rejects(ID, value)


def test_an_id_of_exactly_64_characters_is_accepted() -> None:
    assert ID.validate_python("a" * 64) == "a" * 64


@pytest.mark.parametrize("value", [5, 5.0, True, None, b"fam-1", ["fam-1"]])
def test_an_id_that_is_not_a_string_is_rejected(value: Any) -> None:
    assert rejects(ID, value)


def test_a_uuid_is_a_valid_id() -> None:
    assert ID.validate_json('"7f1c2e9a-4b9e-4f7a-9a51-0c5d2f7f2a10"')


# --- texts -----------------------------------------------------------------------------------

LATVIAN = "Ģimenes ārsts Ļoti šķībs ŅŪČ"


def test_latvian_text_already_composed_round_trips_unchanged() -> None:
    assert unicodedata.is_normalized("NFC", LATVIAN)
    for adapter in (NAME, SHORT, LONG):
        assert adapter.validate_python(LATVIAN) == LATVIAN
        assert adapter.validate_json(f'"{LATVIAN}"') == LATVIAN


def test_decomposed_latvian_text_is_composed() -> None:
    assert NAME.validate_python("A\u0304") == "Ā"
    decomposed = unicodedata.normalize("NFD", LATVIAN)
    assert decomposed != LATVIAN
    assert NAME.validate_python(decomposed) == LATVIAN


def test_surrounding_whitespace_is_stripped() -> None:
    assert NAME.validate_python("  Jelgavas Ozolu pamatskola\u00a0 ") == "Jelgavas Ozolu pamatskola"
    assert LONG.validate_python("\n\tPirmā rinda\nOtrā rinda\n\n") == "Pirmā rinda\nOtrā rinda"


@pytest.mark.parametrize(("adapter", "limit"), [(NAME, 200), (SHORT, 500), (LONG, 4000)])
def test_length_is_counted_in_characters_after_normalisation(adapter: TypeAdapter[str],
                                                             limit: int) -> None:
    # Each "A" + combining macron is two code points that compose into one "Ā".
    assert adapter.validate_python("A\u0304" * limit) == "Ā" * limit
    assert adapter.validate_python("ļ" * limit) == "ļ" * limit
    assert adapter.validate_python("  " + "x" * limit + "  ") == "x" * limit
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python("A\u0304" * (limit + 1))
    assert caught.value.errors()[0]["type"] == "string_too_long"


@pytest.mark.parametrize("value", ["", " ", "\n\t ", "\u3000"])
def test_a_blank_required_text_is_rejected(value: str) -> None:
    assert rejects(NAME, value) and rejects(SHORT, value) and rejects(LONG, value)


@pytest.mark.parametrize("value", ["", "  ", "\n"])
def test_a_blank_optional_text_reads_as_absent(value: str) -> None:
    assert OPT_NAME.validate_python(value) is None
    assert OPT_LONG.validate_python(value) is None
    assert OPT_LONG.validate_python(None) is None


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\x0b", "\x0c"])
def test_control_characters_are_rejected_in_every_text(char: str) -> None:
    for adapter in (NAME, SHORT, LONG, OPT_LONG):
        assert rejects(adapter, f"Jelgava{char}Dobele")


@pytest.mark.parametrize("char", ["\n", "\t", "\r", "\u2028", "\u2029"])
def test_a_single_line_text_rejects_line_breaks_and_tabs(char: str) -> None:
    assert rejects(NAME, f"Jelgava{char}Dobele") and rejects(SHORT, f"Jelgava{char}Dobele")


def test_a_long_text_keeps_newlines_and_tabs() -> None:
    text = "Galvenie jautājumi:\n\t- skola\n\t- dokumenti"
    assert LONG.validate_python(text) == text


def test_a_long_text_turns_windows_line_breaks_into_newlines() -> None:
    assert LONG.validate_python("viens\r\ndivi\rtrīs") == "viens\ndivi\ntrīs"


@pytest.mark.parametrize("char", ["\ud800", "\udfff", "\ufffe", "\uffff", "\ufdd0", "\ufdef",
                                  "\U0001fffe", "\U0010ffff"])
def test_unpaired_surrogates_and_noncharacters_are_rejected(char: str) -> None:
    for adapter in (NAME, SHORT, LONG):
        assert rejects(adapter, f"a{char}b")


def test_characters_outside_the_basic_plane_are_allowed() -> None:
    assert SHORT.validate_python("Paldies 🙂") == "Paldies 🙂"


@pytest.mark.parametrize("value", [5, 5.5, True, b"Jelgava", ["Jelgava"]])
def test_a_text_that_is_not_a_string_is_rejected(value: Any) -> None:
    assert rejects(NAME, value) and rejects(OPT_LONG, value)


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_an_accepted_name_is_normalised_single_line_and_stable(value: str) -> None:
    try:
        name = NAME.validate_python(value)
    except ValidationError:
        return
    assert unicodedata.is_normalized("NFC", name)
    assert name == name.strip() and 1 <= len(name) <= 200
    assert not any(unicodedata.category(c) == "Cc" for c in name)
    assert NAME.validate_python(name) == name  # validating again changes nothing


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=150))
def test_any_short_clean_text_is_accepted_unless_blank(value: str) -> None:
    value = "".join(c for c in value
                    if not (0xFDD0 <= ord(c) <= 0xFDEF or ord(c) & 0xFFFE == 0xFFFE))
    value = "".join(c for c in value if not ("\u202a" <= c <= "\u202e" or "\u2066" <= c <= "\u2069"))
    normalised = unicodedata.normalize("NFC", value).strip()
    visible = any(not (c.isspace() or unicodedata.category(c) == "Cf") for c in normalised)
    if visible and len(normalised) <= 200:
        assert NAME.validate_python(value) == normalised
    elif not visible:
        assert rejects(NAME, value)


@pytest.mark.parametrize("value", ["\u200b", "\u2060\u200d", "\ufeff ", " \u200b\u3000", "\u00ad"])
def test_a_text_of_only_invisible_characters_is_blank(value: str) -> None:
    assert rejects(NAME, value) and rejects(LONG, value)
    assert OPT_NAME.validate_python(value) is None


def test_invisible_characters_beside_a_visible_text_are_kept_as_posted() -> None:
    # Stripping them would make an event stored before the rule a different event when re-sent.
    assert NAME.validate_python("Bāriņtiesa\u200b") == "Bāriņtiesa\u200b"
    assert NAME.validate_python("Jel\u200egava") == "Jel\u200egava"  # a left-to-right mark inside


@pytest.mark.parametrize("value", ["Skola\u202eadiks", "\u2067Rīga\u2069", "a\u202ab"])
def test_bidirectional_overrides_and_isolates_are_rejected(value: str) -> None:
    assert rejects(NAME, value) and rejects(LONG, value)


# --- months, years, numbers ------------------------------------------------------------------

@pytest.mark.parametrize("value", ["2019-09", "2020-12", "2000-01", "2100-12"])
def test_a_month_is_accepted_as_yyyy_mm(value: str) -> None:
    assert MONTH.validate_python(value) == value


@pytest.mark.parametrize("value", ["2020-13", "2020-00", "1999-12", "2101-01", "2020-1", "20-01",
                                   "2020-01-01", "2020/01", "2020-01\n", " 2020-01",
                                   "\uff12020-01", "2020-\u0661\u0662", "", 202001])
def test_a_malformed_month_is_rejected(value: Any) -> None:
    assert rejects(MONTH, value)


def test_a_birth_year_is_a_json_integer_up_to_this_year() -> None:
    assert BIRTH_YEAR.validate_python(1900) == 1900
    assert BIRTH_YEAR.validate_python(date.today().year) == date.today().year
    assert BIRTH_YEAR.validate_json("2012") == 2012


@pytest.mark.parametrize("value", [1899, date.today().year + 1, True, 1990.0, "1990", None])
def test_a_bad_birth_year_is_rejected(value: Any) -> None:
    assert rejects(BIRTH_YEAR, value)


def test_a_birth_year_given_as_a_json_float_or_string_is_rejected() -> None:
    for raw in ("1990.0", '"1990"', "true"):
        with pytest.raises(ValidationError):
            BIRTH_YEAR.validate_json(raw)


@pytest.mark.parametrize("value", [1, 45, 1440])
def test_a_duration_of_one_minute_to_a_day_is_accepted(value: int) -> None:
    assert DURATION.validate_python(value) == value


@pytest.mark.parametrize("value", [0, -5, 1441, 30.0, "30", True])
def test_a_bad_duration_is_rejected(value: Any) -> None:
    assert rejects(DURATION, value)


def test_participants_range_from_one_to_a_thousand() -> None:
    assert PARTICIPANTS.validate_python(1000) == 1000
    assert rejects(PARTICIPANTS, 0) and rejects(PARTICIPANTS, 1001) and rejects(PARTICIPANTS, "3")


# --- lists -----------------------------------------------------------------------------------

def test_person_ids_keep_their_order_and_may_not_repeat() -> None:
    adapter = TypeAdapter(PersonIds)
    assert adapter.validate_python(["p2", "p1"]) == ("p2", "p1")
    assert adapter.validate_python(None) == ()
    assert rejects(adapter, ["p1", "p1"])
    assert rejects(adapter, [f"p{i}" for i in range(51)])
    assert rejects(adapter, ["p 1"])
    assert rejects(adapter, {"p1"})  # unordered input would make the stored form unstable
    assert rejects(adapter, "p1")


def test_municipality_ids_hold_one_to_ten_distinct_ids() -> None:
    adapter = TypeAdapter(MunicipalityIds)
    assert adapter.validate_python(["vilaka", "balvi"]) == ("vilaka", "balvi")
    assert rejects(adapter, []) and rejects(adapter, ["a", "a"])
    assert rejects(adapter, [f"m{i}" for i in range(11)])


def test_domains_hold_up_to_eight_distinct_domains() -> None:
    adapter = TypeAdapter(Domains)
    assert adapter.validate_python([d.value for d in Domain]) == tuple(Domain)
    assert rejects(adapter, ["education", "education"]) and rejects(adapter, ["culture"])


# --- consent ---------------------------------------------------------------------------------

def test_consent_is_given_on_a_calendar_date() -> None:
    consent = Consent.model_validate({"given_on": "2019-09-03", "scope": "darba uzskaite"})
    assert consent.given_on == date(2019, 9, 3)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert Consent.model_validate({"given_on": tomorrow, "scope": "x"})


@pytest.mark.parametrize("given_on", [
    (date.today() + timedelta(days=2)).isoformat(),  # the future
    "1999-12-31",                                    # before any mediator programme
    "2019-02-30", "20190903", "2019-9-3", "2019-09-03T10:00:00", 1567468800, "", None,
])
def test_a_bad_consent_date_is_rejected(given_on: Any) -> None:
    with pytest.raises(ValidationError):
        Consent.model_validate({"given_on": given_on, "scope": "darba uzskaite"})


# --- enumerations ----------------------------------------------------------------------------

CONTRACT_ENUMS: list[tuple[type, list[str]]] = [
    (Domain, ["education", "social", "health", "employment", "housing", "legal", "documents",
              "community"]),
    (InstitutionKind, ["school", "preschool", "education_board", "social_service", "council",
                       "employment_agency", "state_police", "municipal_police", "orphans_court",
                       "housing", "health", "court", "ngo", "library", "youth_centre", "other"]),
    (Channel, ["meeting", "phone", "email", "joint_visit", "commission_meeting"]),
    (Relation, ["parent", "child", "grandparent", "other"]),
    (Resolution, ["resolved", "referred", "no_longer_needed", "lost_contact"]),
    (ActivityKind, ["home_visit", "consultation", "document_assistance", "accompaniment",
                    "interpreting", "information_session", "community_event", "other"]),
    (OutcomeKind, ["school_enrolled", "preschool_enrolled", "attendance_improved",
                   "education_resumed", "job_obtained", "unemployment_status_obtained",
                   "low_income_status_granted", "benefit_granted", "housing_granted",
                   "debt_schedule_agreed", "health_care_received", "documents_obtained", "other"]),
    (Answer, ["yes", "partly", "no"]),
]


@pytest.mark.parametrize(("enum", "values"), CONTRACT_ENUMS,
                         ids=[enum.__name__ for enum, _ in CONTRACT_ENUMS])
def test_an_enumeration_has_exactly_the_contracts_values_in_order(enum: type,
                                                                  values: list[str]) -> None:
    assert [member.value for member in enum] == values  # type: ignore[attr-defined]
    assert all(member == member.value for member in enum)  # type: ignore[attr-defined]


def test_an_enumeration_is_case_sensitive() -> None:
    assert rejects(TypeAdapter(Domain), "Education")
