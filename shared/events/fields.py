"""Constrained field types and enumerations shared by every event in the catalogue."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any

from annotated_types import Ge, Le, MaxLen, MinLen
from pydantic import (AfterValidator, BaseModel, BeforeValidator, Field, Strict, StrictInt, StrictStr,
                      ValidationInfo, WithJsonSchema)
from pydantic_core import PydanticCustomError

__all__ = [
    "ActivityKind", "Answer", "BirthYear", "Channel", "Domain", "DurationMinutes", "Id", "IsoDate",
    "InstitutionKind", "LongText", "Month", "Name", "OptionalLongText", "OptionalName",
    "OptionalShortText", "OutcomeKind", "Participants", "Relation", "Resolution", "ShortText",
    "Domains", "MunicipalityIds", "PersonIds", "clean_text", "is_single_line", "not_after_tomorrow",
    "ID_MAX_LENGTH", "NAME_MAX_LENGTH", "SHORT_TEXT_MAX_LENGTH", "LONG_TEXT_MAX_LENGTH",
]

ID_MAX_LENGTH = 64
NAME_MAX_LENGTH = 200
SHORT_TEXT_MAX_LENGTH = 500
LONG_TEXT_MAX_LENGTH = 4000

# --- ids ------------------------------------------------------------------------------------

# Python's `re` (not pydantic's Rust engine, which rejects `\Z`) so that `\A...\Z` means the
# whole string: no trailing newline. The explicit classes keep Unicode letters/digits out.
_ID_RE = re.compile(r"\A[A-Za-z0-9._:-]{1,64}\Z")
ID_JSON_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"


def _check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise PydanticCustomError(
            "id_format", "Id must be 1 to 64 characters from A-Z, a-z, 0-9 and . _ : -")
    return value


Id = Annotated[
    str, Strict(), AfterValidator(_check_id),
    WithJsonSchema({"type": "string", "pattern": ID_JSON_PATTERN,
                    "minLength": 1, "maxLength": ID_MAX_LENGTH}),
]
"""A client-chosen identifier: `[A-Za-z0-9._:-]{1,64}`, ASCII only."""

# --- text -----------------------------------------------------------------------------------

# Compiled character classes: validating every text field is on the intake's hot path.
_SURROGATES = re.compile("[\ud800-\udfff]")
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef" + "".join(
    chr(plane | 0xFFFE) + chr(plane | 0xFFFF) for plane in range(0, 0x110000, 0x10000)) + "]")
_CONTROL_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # Cc, and Zl/Zp breaks
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")       # Cc except \t and \n


# Bidi embeddings, overrides and isolates change the order a reader sees ("Skola\u202eadiks" shows
# as another name): never needed in our texts. The marks (U+200E, U+200F) stay allowed.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _invisible(char: str) -> bool:
    """Whitespace, or a format character (Unicode Cf: zero-width space and joiners, BOM, ...)."""
    return char.isspace() or unicodedata.category(char) == "Cf"


def strip_invisible(value: str) -> str:
    """`value` without leading and trailing whitespace and format characters."""
    if value.isascii():
        return value.strip()
    start, end = 0, len(value)
    while start < end and _invisible(value[start]):
        start += 1
    while end > start and _invisible(value[end - 1]):
        end -= 1
    return value[start:end]


def clean_text(value: str, max_length: int, *, multiline: bool) -> str:
    """NFC-normalise and strip `value`, rejecting bad characters, blanks and overlong text.

    A text that shows nothing (only whitespace and zero-width characters) is blank. Zero-width
    characters around a visible text are kept: stripping them would make an event stored before
    this rule a different event when its phone re-sends it.
    """
    if not value.isascii():
        if _SURROGATES.search(value):
            raise PydanticCustomError("text_surrogate", "Text must not contain unpaired surrogates")
        if _NONCHARACTERS.search(value):
            raise PydanticCustomError("text_noncharacter",
                                      "Text must not contain Unicode noncharacters")
        if _BIDI_CONTROLS.search(value):
            raise PydanticCustomError("text_bidi_control",
                                      "Text must not contain bidirectional override or isolate characters")
    if multiline:
        # Textareas and Windows clients send CRLF; store one line-break convention.
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    text = (value if value.isascii() else unicodedata.normalize("NFC", value)).strip()
    if multiline and _CONTROL_MULTILINE.search(text):
        raise PydanticCustomError(
            "text_control_character",
            "Text must not contain control characters other than newline and tab")
    if not multiline and _CONTROL_SINGLE_LINE.search(text):
        raise PydanticCustomError(
            "text_control_character",
            "Text must be a single line without control characters")
    if not strip_invisible(text):
        raise PydanticCustomError("string_too_short", "Text must not be empty or only invisible characters",
                                  {"min_length": 1})
    if len(text) > max_length:
        raise PydanticCustomError("string_too_long",
                                  "Text should have at most {max_length} characters",
                                  {"max_length": max_length})
    return text


STORED = {"stored": True}
"""Validation context for data read from the log: its texts were cleaned when they were posted,
under the rules of that day, and are read back as they were stored (a rule added later must not
make the log unreadable)."""


def _is_stored(info: ValidationInfo) -> bool:
    return bool(info.context) and info.context.get("stored", False)


def _required(max_length: int, multiline: bool) -> Callable[[str, ValidationInfo], str]:
    def validate(value: str, info: ValidationInfo) -> str:
        if _is_stored(info):
            return value
        return clean_text(value, max_length, multiline=multiline)
    return validate


def _optional(max_length: int, multiline: bool) -> Callable[[str | None, ValidationInfo], str | None]:
    def validate(value: str | None, info: ValidationInfo) -> str | None:
        if value is None or _is_stored(info):
            return value
        # A blank optional text (an empty form field) means "not given".
        if not strip_invisible(value):
            return None
        return clean_text(value, max_length, multiline=multiline)
    return validate


def _text_schema(max_length: int, optional: bool) -> WithJsonSchema:
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": max_length}
    return WithJsonSchema({"anyOf": [schema, {"type": "null"}]} if optional else schema)


@dataclass(frozen=True, slots=True)
class Lines:
    """Marks a text type single- or multi-line, so a form can tell which of a model's fields take
    a textarea's line breaks as they are (pydantic ignores this metadata)."""

    multiline: bool


_ONE_LINE, _MANY_LINES = Lines(False), Lines(True)

Name = Annotated[StrictStr, AfterValidator(_required(NAME_MAX_LENGTH, False)),
                 _text_schema(NAME_MAX_LENGTH, False), _ONE_LINE]
"""A name: single line, at most 200 characters after NFC normalisation and stripping."""

ShortText = Annotated[StrictStr, AfterValidator(_required(SHORT_TEXT_MAX_LENGTH, False)),
                      _text_schema(SHORT_TEXT_MAX_LENGTH, False), _ONE_LINE]
"""A short single-line text of at most 500 characters."""

LongText = Annotated[StrictStr, AfterValidator(_required(LONG_TEXT_MAX_LENGTH, True)),
                     _text_schema(LONG_TEXT_MAX_LENGTH, False), _MANY_LINES]
"""A multi-line text of at most 4000 characters (newlines and tabs allowed)."""

OptionalName = Annotated[StrictStr | None, AfterValidator(_optional(NAME_MAX_LENGTH, False)),
                         _text_schema(NAME_MAX_LENGTH, True), _ONE_LINE]
"""`Name` or None; blank text reads as None."""

OptionalShortText = Annotated[StrictStr | None,
                              AfterValidator(_optional(SHORT_TEXT_MAX_LENGTH, False)),
                              _text_schema(SHORT_TEXT_MAX_LENGTH, True), _ONE_LINE]
"""`ShortText` or None; blank text reads as None."""

OptionalLongText = Annotated[StrictStr | None,
                             AfterValidator(_optional(LONG_TEXT_MAX_LENGTH, True)),
                             _text_schema(LONG_TEXT_MAX_LENGTH, True), _MANY_LINES]
"""`LongText` or None; blank text reads as None."""


def is_single_line(model: type[BaseModel], field: str) -> bool:
    """Whether `model.field` is a text that must be one line (Name, ShortText and their optionals)."""
    return _ONE_LINE in model.model_fields[field].metadata


# --- dates and numbers ----------------------------------------------------------------------

_MONTH_RE = re.compile(r"\A([0-9]{4})-(0[1-9]|1[0-2])\Z")
_DATE_RE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _check_month(value: str) -> str:
    match = _MONTH_RE.match(value)
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise PydanticCustomError("month_format", "Month must be YYYY-MM with a year 2000-2100")
    return value


Month = Annotated[StrictStr, AfterValidator(_check_month),
                  WithJsonSchema({"type": "string", "pattern": r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
                                  "description": "YYYY-MM, a year 2000-2100"})]
"""A calendar month as `YYYY-MM`, year 2000-2100."""


def _parse_iso_date(value: Any) -> Any:
    # Lax pydantic dates also take Unix timestamps and `YYYYMMDD`; only `YYYY-MM-DD` is meant.
    if isinstance(value, str):
        if not _DATE_RE.match(value):
            raise PydanticCustomError("date_format", "Date must be YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("date_format", "Date must be a real calendar date") from None
    return value


IsoDate = Annotated[date, Strict(), BeforeValidator(_parse_iso_date)]
"""A calendar date, given as a `YYYY-MM-DD` string (or a `date`)."""


def not_after_tomorrow(value: date) -> date:
    """Reject dates after tomorrow (one day of slack for time zones and clock skew)."""
    if value > date.today() + timedelta(days=1):
        raise PydanticCustomError("date_in_future", "Date must not be in the future")
    return value


def _check_birth_year(value: int) -> int:
    this_year = date.today().year
    if not 1900 <= value <= this_year:
        raise PydanticCustomError("birth_year_range", "Birth year must be 1900-{this_year}",
                                  {"this_year": this_year})
    return value


BirthYear = Annotated[StrictInt, AfterValidator(_check_birth_year),
                      WithJsonSchema({"type": "integer", "minimum": 1900,
                                      "description": "From 1900 to the current year (checked on receipt)"})]
"""A year of birth: a JSON integer from 1900 to the current year."""

DurationMinutes = Annotated[StrictInt, Ge(1), Le(1440)]
"""A duration in whole minutes, 1 to 1440 (one day)."""

Participants = Annotated[StrictInt, Ge(1), Le(1000)]
"""A head count of people present, 1 to 1000."""

# --- collections ----------------------------------------------------------------------------


def _list_like(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, (set, frozenset)):
        # Unordered input would make the stored (hashed) form depend on iteration order.
        raise PydanticCustomError("tuple_type", "Input should be a list")
    return value


_UNIQUE_ITEMS = Field(json_schema_extra={"uniqueItems": True})


def _no_duplicates(value: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(set(value)) != len(value):
        raise PydanticCustomError("unique_items", "Items must not repeat")
    return value


PersonIds = Annotated[tuple[Id, ...], MaxLen(50), BeforeValidator(_list_like),
                      AfterValidator(_no_duplicates), _UNIQUE_ITEMS]
"""Up to 50 distinct person ids, in the client's order; null reads as empty."""

MunicipalityIds = Annotated[tuple[Id, ...], MinLen(1), MaxLen(10), BeforeValidator(_list_like),
                            AfterValidator(_no_duplicates), _UNIQUE_ITEMS]
"""One to 10 distinct municipality ids."""

# --- enumerations ---------------------------------------------------------------------------


class Domain(StrEnum):
    """The area of life a piece of work concerns."""

    EDUCATION = "education"
    SOCIAL = "social"
    HEALTH = "health"
    EMPLOYMENT = "employment"
    HOUSING = "housing"
    LEGAL = "legal"
    DOCUMENTS = "documents"
    COMMUNITY = "community"


class InstitutionKind(StrEnum):
    """What kind of institution a mediator works with."""

    SCHOOL = "school"
    PRESCHOOL = "preschool"
    EDUCATION_BOARD = "education_board"
    SOCIAL_SERVICE = "social_service"
    COUNCIL = "council"
    EMPLOYMENT_AGENCY = "employment_agency"
    STATE_POLICE = "state_police"
    MUNICIPAL_POLICE = "municipal_police"
    ORPHANS_COURT = "orphans_court"
    HOUSING = "housing"
    HEALTH = "health"
    COURT = "court"
    NGO = "ngo"
    LIBRARY = "library"
    YOUTH_CENTRE = "youth_centre"
    OTHER = "other"


class Channel(StrEnum):
    """How a cooperation took place."""

    MEETING = "meeting"
    PHONE = "phone"
    EMAIL = "email"
    JOINT_VISIT = "joint_visit"
    COMMISSION_MEETING = "commission_meeting"


class Relation(StrEnum):
    """A person's place in their family."""

    PARENT = "parent"
    CHILD = "child"
    GRANDPARENT = "grandparent"
    OTHER = "other"


class Resolution(StrEnum):
    """Why a case was closed."""

    RESOLVED = "resolved"
    REFERRED = "referred"
    NO_LONGER_NEEDED = "no_longer_needed"
    LOST_CONTACT = "lost_contact"


class ActivityKind(StrEnum):
    """What a mediator did."""

    HOME_VISIT = "home_visit"
    CONSULTATION = "consultation"
    DOCUMENT_ASSISTANCE = "document_assistance"
    ACCOMPANIMENT = "accompaniment"
    INTERPRETING = "interpreting"
    INFORMATION_SESSION = "information_session"
    COMMUNITY_EVENT = "community_event"
    OTHER = "other"


class OutcomeKind(StrEnum):
    """A result achieved for a family."""

    SCHOOL_ENROLLED = "school_enrolled"
    PRESCHOOL_ENROLLED = "preschool_enrolled"
    ATTENDANCE_IMPROVED = "attendance_improved"
    EDUCATION_RESUMED = "education_resumed"
    JOB_OBTAINED = "job_obtained"
    UNEMPLOYMENT_STATUS_OBTAINED = "unemployment_status_obtained"
    LOW_INCOME_STATUS_GRANTED = "low_income_status_granted"
    BENEFIT_GRANTED = "benefit_granted"
    HOUSING_GRANTED = "housing_granted"
    DEBT_SCHEDULE_AGREED = "debt_schedule_agreed"
    HEALTH_CARE_RECEIVED = "health_care_received"
    DOCUMENTS_OBTAINED = "documents_obtained"
    OTHER = "other"


class Answer(StrEnum):
    """An answer to an evaluation question."""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"


Domains = Annotated[tuple[Domain, ...], MaxLen(8), BeforeValidator(_list_like),
                    AfterValidator(_no_duplicates), _UNIQUE_ITEMS]
"""Up to 8 distinct domains; null reads as empty."""
