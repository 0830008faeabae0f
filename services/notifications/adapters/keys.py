"""Keys the notifications service derives from the master key, and webhook secrets sealed with one.

Each purpose gets its own key (HKDF-SHA256 with a distinct `info`), so a link-signing key can
never open a webhook secret and neither is the master key itself.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"
NONCE_BYTES = 12


def derive_key(master_key: bytes, purpose: str) -> bytes:
    """A 256-bit key for one purpose, derived from the master key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"tilts-notifications:{purpose}".encode()).derive(master_key)


class WebhookSecrets:
    """Generates Standard Webhooks secrets and keeps them encrypted at rest (AES-256-GCM)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @staticmethod
    def generate() -> str:
        """A fresh secret in the Standard Webhooks form `whsec_<base64 of 32 random bytes>`."""
        return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode("ascii")

    def seal(self, subscription_id: str, secret: str) -> bytes:
        """nonce || ciphertext, bound to the subscription (a sealed secret cannot be moved)."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.encode(), _aad(subscription_id))

    def open(self, subscription_id: str, sealed: bytes) -> str:
        """The secret back; ValueError if it was altered or sealed for another subscription."""
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _aad(subscription_id)).decode()
        except InvalidTag as error:
            raise ValueError("the webhook secret does not open with this key") from error


def _aad(subscription_id: str) -> bytes:
    return f"tilts-webhook-secret:{subscription_id}".encode()
