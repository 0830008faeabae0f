"""Signed checkpoints: the log's size and Merkle root at a moment, as JSON and as a signed note (pure).

The signature covers the body of a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint):

    tilts/TILTS_EVENTS          <- origin: "tilts/" + the stream name
    4000                        <- size: the first 4000 events (sequences 1..4000)
    Fh5RqS...=                  <- root: MTH of their stored bytes, standard base64

so `note()` is a C2SP signed note that Go's `golang.org/x/mod/sumdb/note` and other transparency
tooling verify with the key `tilts audit notary-key --format vkey` prints. The JSON adds what is
not signed: `time` (when the notary signed) and `frontier` (the roots of the tree's perfect
subtrees, so the notary can resume without re-reading the log; they fold to the signed root, so
they cannot be altered without breaking it).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from shared.canonical import canonical_json

from .merkle import HASH_SIZE, fold

ORIGIN_PREFIX = "tilts/"
SIGNATURE_SIZE = 64
KEY_ID_SIZE = 4
_HEX_HASH = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{8}")
_LOG = re.compile(r"[A-Za-z0-9_-]{1,200}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z")


class CheckpointFormatError(ValueError):
    """Bytes or JSON that are not a well-formed checkpoint."""


def origin_of(log: str) -> str:
    """The origin line (and notary key name) of a log: `tilts/<stream name>`."""
    return ORIGIN_PREFIX + log


def note_body(log: str, size: int, root: bytes) -> bytes:
    """The signed text: origin, size and base64 root, one per line."""
    return f"{origin_of(log)}\n{size}\n{base64.b64encode(root).decode()}\n".encode()


@dataclass(frozen=True)
class Checkpoint:
    """The notary's signed statement: the first `size` events of `log` have Merkle root `root`."""

    log: str
    size: int
    root: bytes
    time: str
    frontier: tuple[bytes, ...]
    signature: bytes
    key_id: bytes

    @property
    def origin(self) -> str:
        return origin_of(self.log)

    def body(self) -> bytes:
        """The bytes the signature covers."""
        return note_body(self.log, self.size, self.root)

    def note(self) -> str:
        """The checkpoint as a C2SP signed note."""
        signature = base64.b64encode(self.key_id + self.signature).decode()
        return f"{self.body().decode()}\n\u2014 {self.origin} {signature}\n"

    def frontier_problem(self) -> str | None:
        """Why the unsigned frontier does not belong to the signed size and root, if it does not."""
        if len(self.frontier) != self.size.bit_count():
            return (f"its frontier has {len(self.frontier)} hashes, a tree of {self.size:,} "
                    f"needs {self.size.bit_count()}")
        if fold(self.frontier) != self.root:
            return "its frontier does not fold to its root"
        return None

    def as_json(self) -> dict[str, Any]:
        return {"log": self.log, "size": self.size, "root": self.root.hex(), "time": self.time,
                "frontier": [h.hex() for h in self.frontier],
                "signature": base64.b64encode(self.signature).decode(), "key_id": self.key_id.hex()}

    def to_bytes(self) -> bytes:
        """Canonical JSON, as stored in the checkpoint stream."""
        return canonical_json(self.as_json())

    @classmethod
    def from_json(cls, value: object) -> Checkpoint:
        """A checkpoint from its JSON form; CheckpointFormatError naming what is wrong."""
        if not isinstance(value, dict):
            raise CheckpointFormatError("a checkpoint is a JSON object")
        missing = {"log", "size", "root", "time", "frontier", "signature", "key_id"} - value.keys()
        if missing:
            raise CheckpointFormatError(f"missing {', '.join(sorted(missing))}")
        log, size, time = value["log"], value["size"], value["time"]
        if not isinstance(log, str) or not _LOG.fullmatch(log):
            raise CheckpointFormatError("log is not a stream name")
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise CheckpointFormatError("size is not a positive count of events")
        if not isinstance(time, str) or not _TIME.fullmatch(time):
            raise CheckpointFormatError("time is not an RFC 3339 UTC time (…Z)")
        frontier = value["frontier"]
        if not isinstance(frontier, list):
            raise CheckpointFormatError("frontier is not a list of hashes")
        return cls(log=log, size=size, root=_hash(value["root"], "root"), time=time,
                   frontier=tuple(_hash(h, "frontier") for h in frontier),
                   signature=_signature(value["signature"]), key_id=_key_id(value["key_id"]))

    @classmethod
    def from_bytes(cls, data: bytes) -> Checkpoint:
        try:
            value = json.loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise CheckpointFormatError(f"not JSON: {error}") from None
        return cls.from_json(value)


@dataclass(frozen=True)
class Recorded:
    """A checkpoint as stored: its number (its sequence in the checkpoint stream) and the checkpoint,
    or why the stored bytes are not one."""

    number: int
    checkpoint: Checkpoint | None
    unreadable: str | None = None

    @classmethod
    def read(cls, number: int, data: bytes) -> Recorded:
        try:
            return cls(number, Checkpoint.from_bytes(data))
        except CheckpointFormatError as error:
            return cls(number, None, str(error))


def _hash(text: object, field: str) -> bytes:
    if not isinstance(text, str) or not _HEX_HASH.fullmatch(text):
        raise CheckpointFormatError(f"{field} is not a lower-case hex SHA-256 hash")
    value = bytes.fromhex(text)
    assert len(value) == HASH_SIZE
    return value


def _signature(text: object) -> bytes:
    try:
        value = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
    except binascii.Error:
        value = b""
    if len(value) != SIGNATURE_SIZE:
        raise CheckpointFormatError("signature is not a base64 Ed25519 signature (64 bytes)")
    return value


def _key_id(text: object) -> bytes:
    if not isinstance(text, str) or not _KEY_ID.fullmatch(text):
        raise CheckpointFormatError("key_id is not 8 lower-case hex digits")
    return bytes.fromhex(text)
