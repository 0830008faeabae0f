"""The notary's Ed25519 key: the private half signs checkpoints, the public half is for auditors.

The private key is created on first use in `<data dir>/keys/notary-ed25519.pem` (mode 0600).
Auditors get the public key (`tilts audit notary-key`) once and keep it: checking checkpoints
with a key read from the same server that holds the log would trust whoever could rewrite both.

Key ids follow C2SP signed-note: the first 4 bytes of SHA-256(key name || 0x0A || 0x01 ||
public key), where 0x01 says Ed25519 and the key name is the log's origin (`tilts/<stream>`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.config import Settings
from shared.secrets import load_or_create

from .checkpoints import Checkpoint, note_body, origin_of
from .merkle import Frontier

KEY_FILE = "notary-ed25519.pem"
ED25519 = b"\x01"  # C2SP signed-note signature type


class KeyFormatError(ValueError):
    """Text that is not a notary public key (PEM or C2SP verifier key)."""


def key_path(settings: Settings) -> Path:
    """Where the notary's private key lives."""
    return settings.keys_dir / KEY_FILE


def _generate() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError("the notary key is not an Ed25519 key")
    return key


@dataclass(frozen=True)
class NotaryKey:
    """A notary public key under its name (the origin of the log it signs for)."""

    public_key: Ed25519PublicKey
    name: str

    @property
    def raw(self) -> bytes:
        return self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        return hashlib.sha256(self.name.encode() + b"\n" + ED25519 + self.raw).digest()[:4]

    def pem(self) -> str:
        return self.public_key.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def vkey(self) -> str:
        """The C2SP verifier key: `<name>+<hex key id>+<base64(0x01 || public key)>`."""
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(ED25519 + self.raw).decode()}"

    def verifies(self, checkpoint: Checkpoint) -> bool:
        """Whether this key signed the checkpoint's body."""
        if checkpoint.key_id != self.key_id or checkpoint.origin != self.name:
            return False
        try:
            self.public_key.verify(checkpoint.signature, checkpoint.body())
        except InvalidSignature:
            return False
        return True

    @classmethod
    def parse(cls, text: str, log: str) -> NotaryKey:
        """A public key from PEM (named after `log`) or from a C2SP verifier key."""
        text = text.strip()
        if text.startswith("-----BEGIN"):
            try:
                key = serialization.load_pem_public_key(text.encode())
            except ValueError as error:
                raise KeyFormatError(f"not a PEM public key: {error}") from None
            if not isinstance(key, Ed25519PublicKey):
                raise KeyFormatError("the PEM key is not an Ed25519 public key")
            return cls(key, origin_of(log))
        return cls._from_vkey(text)

    @classmethod
    def _from_vkey(cls, text: str) -> NotaryKey:
        name, _, rest = text.partition("+")
        key_id, _, encoded = rest.partition("+")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raw = b""
        if not name or len(raw) != 33 or raw[:1] != ED25519:
            raise KeyFormatError("not a PEM public key nor a C2SP Ed25519 verifier key (name+id+key)")
        key = cls(Ed25519PublicKey.from_public_bytes(raw[1:]), name)
        if key.key_id.hex() != key_id:
            raise KeyFormatError("the verifier key's id does not match its name and key")
        return key


class NotarySigner:
    """Signs checkpoints of one log with the notary's private key."""

    def __init__(self, private_key: Ed25519PrivateKey, log: str) -> None:
        self._private_key = private_key
        self.log = log
        self.key = NotaryKey(private_key.public_key(), origin_of(log))

    @classmethod
    def from_settings(cls, settings: Settings) -> NotarySigner:
        """The data dir's notary key, created on first use (shared by every process)."""
        return cls(_private_key(load_or_create(key_path(settings), _generate)), settings.stream_name)

    def sign(self, frontier: Frontier, time: datetime | None = None) -> Checkpoint:
        """A checkpoint of the tree the frontier describes."""
        root = frontier.root()
        moment = (time or datetime.now(UTC)).astimezone(UTC)
        return Checkpoint(log=self.log, size=frontier.size, root=root,
                          time=moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                          frontier=frontier.hashes, key_id=self.key.key_id,
                          signature=self._private_key.sign(note_body(self.log, frontier.size, root)))


def public_key_of(settings: Settings) -> NotaryKey | None:
    """The public half of the data dir's notary key, if the notary has created one (never creates it)."""
    path = key_path(settings)
    if not path.exists():
        return None
    return NotarySigner(_private_key(path.read_bytes()), settings.stream_name).key
