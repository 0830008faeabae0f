"""Sealing personal blocks (AES-256-GCM with a key per family, bound to family and event) and
wrapping family keys with the master key."""

from __future__ import annotations

import base64
import os

import pytest

from shared.crypto.sealing import (SealError, new_data_key, open_personal, personal_digest,
                                   seal_personal, unwrap_data_key, wrap_data_key)
from shared.events.personal import SealedPersonal

FAMILY, EVENT = "fam-5c1d2e7a", "7f1c2e9a-4b9e-4f7a-9a51-0c5d2f7f2a10"
PERSONAL = {"surname": "Ozoliņa-Bērziņa", "address": "Lāčplēša iela 99-7, Jelgava",
            "phone": "+371 20 000 000"}
KEY = new_data_key()
MASTER = os.urandom(32)


def _flip(text: str, at: int = 0) -> str:
    raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    raw[at] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


# --- personal blocks -------------------------------------------------------------------------


def test_when_a_latvian_personal_block_is_sealed_and_opened_then_it_comes_back_unchanged() -> None:
    assert open_personal(KEY, EVENT, seal_personal(KEY, FAMILY, EVENT, PERSONAL)) == PERSONAL


def test_the_sealed_form_hides_the_plaintext_and_names_the_family_key() -> None:
    sealed = seal_personal(KEY, FAMILY, EVENT, PERSONAL)
    assert set(sealed) == {"alg", "kid", "nonce", "ct"}
    assert sealed["alg"] == "A256GCM" and sealed["kid"] == FAMILY
    text = repr(sealed)
    assert all(value not in text for value in PERSONAL.values())
    assert "Ozoli" not in text


def test_the_sealed_form_validates_as_the_logs_sealed_personal_model() -> None:
    sealed = seal_personal(KEY, FAMILY, EVENT, PERSONAL)
    assert SealedPersonal.model_validate(sealed).model_dump() == sealed


def test_sealing_twice_uses_fresh_nonces() -> None:
    first, second = (seal_personal(KEY, FAMILY, EVENT, PERSONAL) for _ in range(2))
    assert first["nonce"] != second["nonce"] and first["ct"] != second["ct"]


@pytest.mark.parametrize("at", [0, 10, -1], ids=["first-byte", "middle-byte", "tag"])
def test_when_the_ciphertext_is_tampered_with_then_seal_error(at: int) -> None:
    sealed = seal_personal(KEY, FAMILY, EVENT, PERSONAL)
    with pytest.raises(SealError):
        open_personal(KEY, EVENT, {**sealed, "ct": _flip(sealed["ct"], at)})


def test_when_the_nonce_is_tampered_with_then_seal_error() -> None:
    sealed = seal_personal(KEY, FAMILY, EVENT, PERSONAL)
    with pytest.raises(SealError):
        open_personal(KEY, EVENT, {**sealed, "nonce": _flip(sealed["nonce"])})


def test_when_opened_with_another_key_then_seal_error() -> None:
    with pytest.raises(SealError):
        open_personal(new_data_key(), EVENT, seal_personal(KEY, FAMILY, EVENT, PERSONAL))


def test_when_opened_for_another_event_then_seal_error() -> None:
    # The event id is authenticated data: a block cannot be replayed into another event.
    with pytest.raises(SealError):
        open_personal(KEY, "another-event", seal_personal(KEY, FAMILY, EVENT, PERSONAL))


def test_when_the_block_claims_another_family_then_seal_error() -> None:
    sealed = seal_personal(KEY, FAMILY, EVENT, PERSONAL)
    with pytest.raises(SealError):
        open_personal(KEY, EVENT, {**sealed, "kid": "fam-other"})


@pytest.mark.parametrize("change", [{"alg": "A128GCM"}, {"alg": None}, {"ct": "***"},
                                    {"nonce": "AAAA"}, {"ct": ""}],
                         ids=["other-alg", "no-alg", "not-base64", "short-nonce", "empty-ct"])
def test_when_the_sealed_block_is_malformed_then_seal_error(change: dict) -> None:
    sealed = {**seal_personal(KEY, FAMILY, EVENT, PERSONAL), **change}
    with pytest.raises(SealError):
        open_personal(KEY, EVENT, {k: v for k, v in sealed.items() if v is not None})


@pytest.mark.parametrize("missing", ["nonce", "ct", "kid"])
def test_when_a_part_of_the_sealed_block_is_missing_then_seal_error(missing: str) -> None:
    sealed = seal_personal(KEY, FAMILY, EVENT, PERSONAL)
    with pytest.raises(SealError):
        open_personal(KEY, EVENT, {k: v for k, v in sealed.items() if k != missing})


# --- wrapped family keys ---------------------------------------------------------------------


def test_a_wrapped_key_opens_with_the_same_master_key_and_family() -> None:
    wrapped = wrap_data_key(MASTER, FAMILY, KEY)
    assert KEY not in wrapped
    assert unwrap_data_key(MASTER, FAMILY, wrapped) == KEY


def test_wrapping_twice_gives_different_bytes() -> None:
    assert wrap_data_key(MASTER, FAMILY, KEY) != wrap_data_key(MASTER, FAMILY, KEY)


def test_when_a_wrapped_key_is_opened_with_another_master_key_then_seal_error() -> None:
    with pytest.raises(SealError):
        unwrap_data_key(os.urandom(32), FAMILY, wrap_data_key(MASTER, FAMILY, KEY))


def test_when_a_wrapped_key_is_opened_for_another_family_then_seal_error() -> None:
    # A family's wrapped key copied onto another family's row does not open.
    with pytest.raises(SealError):
        unwrap_data_key(MASTER, "fam-other", wrap_data_key(MASTER, FAMILY, KEY))


def test_when_a_wrapped_key_is_tampered_with_then_seal_error() -> None:
    wrapped = bytearray(wrap_data_key(MASTER, FAMILY, KEY))
    wrapped[20] ^= 0x80
    with pytest.raises(SealError):
        unwrap_data_key(MASTER, FAMILY, bytes(wrapped))


@pytest.mark.parametrize("length", [0, 5, 12, 20])
def test_when_a_wrapped_key_is_truncated_then_seal_error(length: int) -> None:
    # A damaged key row is tampering like any other: callers catch SealError, not whatever
    # AES-GCM happens to raise for a too-short nonce.
    with pytest.raises(SealError):
        unwrap_data_key(MASTER, FAMILY, wrap_data_key(MASTER, FAMILY, KEY)[:length])


# --- keyed digests ---------------------------------------------------------------------------


def test_personal_digest_is_stable_for_the_same_key_and_block() -> None:
    assert personal_digest(KEY, PERSONAL) == personal_digest(KEY, dict(reversed(list(PERSONAL.items()))))


def test_personal_digest_is_keyed() -> None:
    assert personal_digest(KEY, PERSONAL) != personal_digest(new_data_key(), PERSONAL)


def test_personal_digest_changes_with_the_block() -> None:
    assert personal_digest(KEY, PERSONAL) != personal_digest(KEY, {**PERSONAL, "phone": "+371 20 000 001"})


def test_personal_digest_is_hex_sha256_and_holds_no_plaintext() -> None:
    digest = personal_digest(KEY, PERSONAL)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert "Ozoli" not in digest
