"""Checking every aggregate's hash chain, one event at a time in log order (pure, no I/O)."""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass

from shared.bus.subjects import Subjects
from shared.events.envelope import GENESIS_HASH, StoredEvent

HASH_MISMATCH = "hash mismatch"
SUBJECT_MISMATCH = "subject mismatch"

# The last link of each aggregate, packed as (sequence, version, 32-byte hash): 190 bytes per
# aggregate with its key, against 320 for a tuple holding the hex text, so a log of millions of
# aggregates is checked in a few hundred MB.
_LINK = struct.Struct("<QQ32s")
_HEX_HASH = re.compile(r"[0-9a-f]{64}")


def _digest(text: str) -> bytes:
    # A stored hash or prevhash as 32 bytes. Text that is not a hash (tampered) gets a digest of
    # its own, so two texts compare equal exactly when they are the same text.
    if _HEX_HASH.fullmatch(text):
        return bytes.fromhex(text)
    return hashlib.sha256(b"not a hash:" + text.encode()).digest()


@dataclass(frozen=True)
class Break:
    """An event that does not continue its aggregate's chain, and what is wrong with it."""

    sequence: int
    event_id: str
    aggregate: str  # "<aggregate type>/<aggregate id>"
    problem: str    # one or more of the problems below, joined by "; "

    def __str__(self) -> str:
        return f"sequence {self.sequence} (event {self.event_id or '?'}, {self.aggregate}): {self.problem}"


class ChainChecker:
    """Follows every aggregate's chain through the log, keeping only each one's last link."""

    def __init__(self, subjects: Subjects) -> None:
        self._subjects = subjects
        self._links: dict[str, bytes] = {}
        self.events = 0

    @property
    def aggregates(self) -> int:
        """How many aggregates have been seen."""
        return len(self._links)

    def feed(self, event: StoredEvent, subject: str) -> Break | None:
        """Check the next event of the log (read from `subject`); the break it makes, if any."""
        self.events += 1
        aggregate = f"{event.aggregatetype}/{event.aggregateid}"
        link = self._links.get(aggregate)
        problems = [*self._subject_problems(event, subject), *_version_problems(event, link),
                    *_prevhash_problems(event, link)]
        if event.compute_hash() != event.hash:
            problems.append(HASH_MISMATCH)
        self._links[aggregate] = _LINK.pack(event.sequence or 0, event.version, _digest(event.hash))
        if not problems:
            return None
        return Break(event.sequence or 0, event.id, aggregate, "; ".join(problems))

    def unreadable(self, sequence: int, subject: str, reason: str) -> Break:
        """The break made by a message that is not a stored event at all."""
        self.events += 1
        return Break(sequence, "", subject, f"unreadable event: {reason}")

    def _subject_problems(self, event: StoredEvent, subject: str) -> list[str]:
        expected = self._subjects.aggregate(event.municipalityid, event.aggregatetype, event.aggregateid)
        return [] if subject == expected else [f"{SUBJECT_MISMATCH} (stored on {subject}, expected {expected})"]


def _version_problems(event: StoredEvent, link: bytes | None) -> list[str]:
    expected = 1 if link is None else _LINK.unpack(link)[1] + 1
    if event.version == expected:
        return []
    kind = ("version gap" if event.version > expected
            else "version repeated" if event.version >= 1 else "version invalid")
    return [f"{kind} (expected {expected}, found {event.version})"]


def _prevhash_problems(event: StoredEvent, link: bytes | None) -> list[str]:
    if link is None:
        return [] if event.prevhash == GENESIS_HASH else ["prevhash is not genesis for the aggregate's first event"]
    sequence, _, previous_hash = _LINK.unpack(link)
    if _digest(event.prevhash) == previous_hash:
        return []
    return [f"prevhash does not match previous event (sequence {sequence})"]
