"""AES-256-GCM sealing of personal-data blocks and of family data keys.

Each family has its own random 256-bit data key; the key is stored only wrapped by the master
key. Destroying a family's wrapped key (crypto-shredding) makes every sealed block of that family
unreadable while the log that holds the ciphertext stays untouched and its hash chain verifiable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.canonical import canonical_json

ALGORITHM = "A256GCM"
NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed block or wrapped key could not be opened (wrong key, tampering)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap_data_key(master_key: bytes, family_id: str, data_key: bytes) -> bytes:
    """nonce || AES-GCM(master, data key), bound to the family id."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master_key).encrypt(nonce, data_key, b"tilts-family-key:" + family_id.encode())


def unwrap_data_key(master_key: bytes, family_id: str, wrapped: bytes) -> bytes:
    if len(wrapped) < NONCE_BYTES + 16:
        raise SealError("the wrapped family key is truncated")
    try:
        return AESGCM(master_key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:],
                                          b"tilts-family-key:" + family_id.encode())
    except InvalidTag as error:
        raise SealError("the family key does not open with this master key") from error


def _aad(family_id: str, event_id: str) -> bytes:
    # Binding the ciphertext to its family and event stops a block being replayed elsewhere.
    return f"tilts-personal:{family_id}:{event_id}".encode()


def seal_personal(data_key: bytes, family_id: str, event_id: str, personal: dict[str, Any]) -> dict[str, str]:
    """Encrypt a personal block into the sealed form stored in the log."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, canonical_json(personal), _aad(family_id, event_id))
    return {"alg": ALGORITHM, "kid": family_id, "nonce": _b64(nonce), "ct": _b64(ciphertext)}


def open_personal(data_key: bytes, event_id: str, sealed: dict[str, str]) -> dict[str, Any]:
    """Decrypt a sealed block back into the personal fields."""
    if sealed.get("alg") != ALGORITHM:
        raise SealError(f"unknown algorithm {sealed.get('alg')!r}")
    try:
        plaintext = AESGCM(data_key).decrypt(_unb64(sealed["nonce"]), _unb64(sealed["ct"]),
                                             _aad(sealed["kid"], event_id))
    except (InvalidTag, KeyError, ValueError) as error:
        raise SealError("the personal block does not open") from error
    return json.loads(plaintext)


def personal_digest(data_key: bytes, personal: dict[str, Any]) -> str:
    """A keyed digest of a personal block, for comparing a re-sent event with the stored one.

    Keyed with the family's own data key, so once the family is erased the digest can no
    longer be checked against guesses either.
    """
    return hmac.new(data_key, canonical_json(personal), hashlib.sha256).hexdigest()
