"""Personal-data blocks: the plain form clients post and the sealed form the log stores."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, StrictStr, WithJsonSchema,
                      model_validator)
from pydantic_core import PydanticCustomError

from shared.events.fields import Id, OptionalName, OptionalShortText

__all__ = ["MAX_CIPHERTEXT_CHARS", "NONCE_BYTES", "FamilyPersonal", "OptionalPersonalCode",
           "OptionalPhone", "PersonPersonal", "SealedPersonal"]

_PHONE_RE = re.compile(r"\A[0-9 +()-]{1,32}\Z")
_PERSONAL_CODE_RE = re.compile(r"\A[0-9]{6}-?[0-9]{5}\Z")
_B64URL_RE = re.compile(r"\A[A-Za-z0-9_-]*={0,2}\Z")

NONCE_BYTES = 12  # AES-GCM's standard 96-bit nonce
MAX_CIPHERTEXT_CHARS = 16384  # well above the largest plain block (~3 KiB of UTF-8) plus tag


def _check_phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _PHONE_RE.match(value) or sum(ch.isdigit() for ch in value) < 3:
        raise PydanticCustomError(
            "phone_format", "Phone must be at most 32 digits, spaces and + - ( ), with 3+ digits")
    return value


def _check_personal_code(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _PERSONAL_CODE_RE.match(value):
        raise PydanticCustomError("personal_code_format",
                                  "Personal code must be 11 digits, as DDMMYY-NNNNN or DDMMYYNNNNN")
    return value


OptionalPhone = Annotated[
    StrictStr | None, AfterValidator(_check_phone),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^[0-9 +()-]{1,32}$"},
                              {"type": "null"}]})]
"""A phone number (up to 32 of digits, spaces, `+-()`; 3+ digits) or None; blank reads as None."""

OptionalPersonalCode = Annotated[
    StrictStr | None, AfterValidator(_check_personal_code),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^[0-9]{6}-?[0-9]{5}$"},
                              {"type": "null"}]})]
"""A Latvian personal code (format only: `DDMMYY-NNNNN` or `DDMMYYNNNNN`) or None."""


class _Block(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    @model_validator(mode="after")
    def _at_least_one_field(self) -> _Block:
        if all(value is None for value in self.__dict__.values()):
            raise PydanticCustomError("personal_empty",
                                      "Give at least one personal field or omit the block")
        return self


class FamilyPersonal(_Block):
    """A family's personal details, as posted in plain form."""

    surname: OptionalName = None
    address: OptionalShortText = None
    phone: OptionalPhone = None


class PersonPersonal(_Block):
    """A person's personal details, as posted in plain form."""

    given_name: OptionalName = None
    surname: OptionalName = None
    personal_code: OptionalPersonalCode = None


def _decode_b64url(value: str, max_chars: int) -> bytes:
    if len(value) > max_chars or not _B64URL_RE.match(value) or len(value.rstrip("=")) % 4 == 1:
        raise PydanticCustomError("base64url", "Must be base64url text")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise PydanticCustomError("base64url", "Must be base64url text") from None


def _check_nonce(value: str) -> str:
    if len(_decode_b64url(value, 24)) != NONCE_BYTES:
        raise PydanticCustomError("nonce_length", "Nonce must be {n} bytes", {"n": NONCE_BYTES})
    return value


def _check_ciphertext(value: str) -> str:
    if len(_decode_b64url(value, MAX_CIPHERTEXT_CHARS)) < 16:  # at least the GCM tag
        raise PydanticCustomError("ciphertext_length", "Ciphertext is too short to hold a GCM tag")
    return value


_B64URL_SCHEMA = {"type": "string", "pattern": r"^[A-Za-z0-9_-]*={0,2}$"}
Nonce = Annotated[StrictStr, AfterValidator(_check_nonce), WithJsonSchema(_B64URL_SCHEMA)]
Ciphertext = Annotated[StrictStr, AfterValidator(_check_ciphertext),
                       WithJsonSchema({**_B64URL_SCHEMA, "maxLength": MAX_CIPHERTEXT_CHARS})]


class SealedPersonal(BaseModel):
    """A personal block encrypted with its family's key (AES-256-GCM), as the log stores it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alg: Literal["A256GCM"]
    kid: Id
    nonce: Nonce
    ct: Ciphertext
