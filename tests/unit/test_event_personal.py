"""Personal-data blocks: plain when posted, sealed when stored, never mixed up."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import ValidationError

from examples import EXAMPLES, SEALED_FAMILY, SEALED_PERSON, STORED_EXAMPLES, sealed
from shared.events import (FamilyPersonal, FamilyRegistered, FamilyRegisteredStored, PersonAdded,
                           PersonAddedStored, PersonPersonal, SealedPersonal, parse_data,
                           parse_stored_data)

FAMILY_REGISTERED = "tilts.family.registered"
PERSON_ADDED = "tilts.person.added"
FAMILY = EXAMPLES[FAMILY_REGISTERED]["family_id"]


def with_personal(event_type: str, personal: Any) -> dict[str, Any]:
    return {**EXAMPLES[event_type], "personal": personal}


# --- posted (plain) form ---------------------------------------------------------------------

def test_a_posted_family_carries_plain_personal_data() -> None:
    model = parse_data(FAMILY_REGISTERED, EXAMPLES[FAMILY_REGISTERED])
    assert isinstance(model, FamilyRegistered)
    assert model.personal == FamilyPersonal(
        surname="Ozoliņi", address="Lāčplēša iela 99-7, Jelgava", phone="+371 20 000 000")


def test_a_posted_person_carries_plain_personal_data() -> None:
    model = parse_data(PERSON_ADDED, EXAMPLES[PERSON_ADDED])
    assert isinstance(model, PersonAdded)
    assert model.personal == PersonPersonal(given_name="Jānis", surname="Ozoliņš",
                                            personal_code="010112-20000")


@pytest.mark.parametrize(("event_type", "sealed_block"),
                         [(FAMILY_REGISTERED, SEALED_FAMILY), (PERSON_ADDED, SEALED_PERSON)])
def test_a_posted_event_rejects_a_sealed_personal_block(event_type: str,
                                                        sealed_block: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        parse_data(event_type, with_personal(event_type, sealed_block))


@pytest.mark.parametrize("event_type", [FAMILY_REGISTERED, PERSON_ADDED])
def test_a_stored_instance_does_not_pass_as_a_posted_event(event_type: str) -> None:
    stored = parse_stored_data(event_type, STORED_EXAMPLES[event_type], 1)
    with pytest.raises(ValidationError):
        parse_data(event_type, stored)


@pytest.mark.parametrize("event_type", [FAMILY_REGISTERED, PERSON_ADDED])
def test_personal_data_is_optional(event_type: str) -> None:
    assert parse_data(event_type, with_personal(event_type, None)).personal is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("block", [{}, {"surname": None}, {"surname": "  ", "phone": ""}])
def test_an_empty_family_personal_block_is_rejected(block: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FamilyPersonal.model_validate(block)


def test_an_empty_person_personal_block_is_rejected() -> None:
    with pytest.raises(ValidationError):
        PersonPersonal.model_validate({"given_name": None, "surname": None, "personal_code": None})


def test_one_personal_field_is_enough() -> None:
    assert FamilyPersonal.model_validate({"phone": "26000000"}).surname is None
    assert PersonPersonal.model_validate({"given_name": "Marija"}).personal_code is None


def test_personal_names_are_normalised_like_other_text() -> None:
    assert PersonPersonal.model_validate({"surname": " Ozolin\u0327s\u030c "}).surname == "Ozoliņš"


@pytest.mark.parametrize("phone", ["+371 20 000 000", "26000000", "(+371) 63-000-000", " 112 "])
def test_a_phone_of_digits_spaces_and_signs_is_accepted(phone: str) -> None:
    assert FamilyPersonal.model_validate({"phone": phone}).phone == phone.strip()


@pytest.mark.parametrize("phone", ["+371 2000000x", "20", "1" * 33, "+371\n20000000",
                                   "\uff12\uff10\uff10\uff10\uff10", 26000000])
def test_a_malformed_phone_is_rejected(phone: Any) -> None:
    with pytest.raises(ValidationError):
        FamilyPersonal.model_validate({"phone": phone})


@pytest.mark.parametrize("code", ["010112-20000", "01011220000", "320000-00000"])
def test_a_latvian_personal_code_is_accepted(code: str) -> None:
    assert PersonPersonal.model_validate({"personal_code": code}).personal_code == code


@pytest.mark.parametrize("code", ["010112-2000", "010112--20000", "01011-220000", "0101122000a",
                                  "010112 20000", "\u0660\u0661\u0660\u0661\u0661\u0662-20000",
                                  "010112-20000\n0", 1011220000])
def test_a_malformed_personal_code_is_rejected(code: Any) -> None:
    with pytest.raises(ValidationError):
        PersonPersonal.model_validate({"personal_code": code})


def test_personal_blocks_are_frozen_and_forbid_extra_fields() -> None:
    block = FamilyPersonal(surname="Ozoliņi")
    with pytest.raises(ValidationError):
        block.surname = "Kalēji"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        FamilyPersonal.model_validate({"surname": "Ozoliņi", "ethnicity": "x"})


# --- stored (sealed) form --------------------------------------------------------------------

def test_a_stored_family_carries_a_sealed_personal_block() -> None:
    model = parse_stored_data(FAMILY_REGISTERED, STORED_EXAMPLES[FAMILY_REGISTERED], 1)
    assert isinstance(model, FamilyRegisteredStored)
    assert model.personal == SealedPersonal.model_validate(SEALED_FAMILY)


def test_a_stored_person_carries_a_sealed_personal_block() -> None:
    model = parse_stored_data(PERSON_ADDED, STORED_EXAMPLES[PERSON_ADDED], 1)
    assert isinstance(model, PersonAddedStored)
    assert model.personal is not None and model.personal.kid == FAMILY


@pytest.mark.parametrize("event_type", [FAMILY_REGISTERED, PERSON_ADDED])
def test_a_stored_event_rejects_a_plaintext_personal_block(event_type: str) -> None:
    with pytest.raises(ValidationError):
        parse_stored_data(event_type, EXAMPLES[event_type], 1)


@pytest.mark.parametrize("event_type", [FAMILY_REGISTERED, PERSON_ADDED])
def test_a_stored_event_rejects_a_block_sealed_with_another_familys_key(event_type: str) -> None:
    data = {**STORED_EXAMPLES[event_type], "personal": sealed("fam-other")}
    with pytest.raises(ValidationError):
        parse_stored_data(event_type, data, 1)


def test_a_stored_event_without_personal_data_is_fine() -> None:
    data = {**STORED_EXAMPLES[PERSON_ADDED], "personal": None}
    assert parse_stored_data(PERSON_ADDED, data, 1).personal is None  # type: ignore[attr-defined]


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("change", [
    {"alg": "A128GCM"},
    {"alg": None},
    {"kid": "fam 1"},
    {"nonce": b64url(bytes(11))},           # not a 96-bit nonce
    {"nonce": b64url(bytes(16))},
    {"nonce": "AAECAwQFBgcICQo+"},          # standard base64, not base64url
    {"nonce": ""},
    {"ct": b64url(bytes(15))},              # shorter than a GCM tag
    {"ct": "abc$"},
    {"ct": "A" * 17},                       # a length no base64 text can have
    {"ct": b64url(bytes(12_289))},          # over 16 KiB of text
    {"ct": 12345},
    {"given_name": "Jānis"},                # plaintext smuggled beside the ciphertext
])
def test_a_malformed_sealed_block_is_rejected(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SealedPersonal.model_validate({**SEALED_FAMILY, **change})


def test_a_sealed_block_may_carry_base64_padding() -> None:
    padded = base64.urlsafe_b64encode(bytes(40)).decode()
    assert padded.endswith("=")
    assert SealedPersonal.model_validate({**SEALED_FAMILY, "ct": padded}).ct == padded


def test_a_sealed_block_is_frozen() -> None:
    block = SealedPersonal.model_validate(SEALED_FAMILY)
    with pytest.raises(ValidationError):
        block.kid = "fam-other"  # type: ignore[misc]
