"""Opening sealed personal blocks, only in a read that may see them.

Nothing here logs or keeps plaintext. A family whose key was destroyed (erased) reads as
erased, whatever the read models or a rebuild still hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from shared.crypto.sealing import SealError, open_personal

log = structlog.get_logger(__name__)

SHOWN, WITHHELD, ERASED, NONE = "shown", "withheld", "erased", "none"


@dataclass(frozen=True)
class SealedBlock:
    """A personal block as the log stores it, and the event whose id it is bound to."""

    event_id: str
    sealed: Mapping[str, Any] | None


def personal_status(*, allowed: bool, erased: bool, key: bytes | None, blocks: list[SealedBlock]) -> str:
    """What a read shows of a family's personal data: shown, withheld, erased or none."""
    if erased:
        return ERASED
    if not any(block.sealed for block in blocks):
        return NONE
    if not allowed:
        return WITHHELD
    return SHOWN if key is not None else ERASED


def opened(key: bytes | None, block: SealedBlock) -> dict[str, Any] | None:
    """The plain fields of a block (None if there is none or it cannot be opened)."""
    if key is None or not block.sealed:
        return None
    try:
        return open_personal(key, block.event_id, dict(block.sealed))
    except SealError:
        log.warning("personal.unreadable", event_id=block.event_id)
        return None
