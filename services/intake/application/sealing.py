"""Turning a posted event's data into its stored form, and fingerprinting its content.

Personal blocks are sealed with the family's data key before anything leaves this process.
The fingerprint identifies the posted content (so a re-send with the same id can be told from
a different event reusing it) without storing a plain hash of personal data: the personal part
enters it only as a digest keyed with the family's own key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.canonical import canonical_json, sha256_hex
from shared.crypto.keystore import FamilyKeys, KeyDestroyed
from shared.crypto.sealing import personal_digest, seal_personal
from shared.events import catalogue
from shared.events.base import EventData
from shared.events.envelope import PostedEvent, StoredEvent, format_time


@dataclass(frozen=True, slots=True)
class Sealed:
    data: dict[str, Any]
    fingerprint: str


def _content(event_type: str, source: str, time: str, data: dict[str, Any]) -> dict[str, Any]:
    """What makes an event the same event again (its author is compared apart)."""
    return {"type": event_type, "source": source, "time": time, "data": data}


def _posted_content(posted: PostedEvent, data: dict[str, Any]) -> dict[str, Any]:
    return _content(posted.type, posted.source, format_time(posted.time), data)


def _fingerprint(posted: PostedEvent, data: dict[str, Any]) -> str:
    return "sha256:" + sha256_hex(canonical_json(_posted_content(posted, data)))


def _personal(data: EventData) -> tuple[str, dict[str, Any]] | None:
    personal = getattr(data, "personal", None)
    if personal is None:
        return None
    return data.family_id, personal.model_dump(mode="json", exclude_none=True)


async def seal(keys: FamilyKeys, posted: PostedEvent, data: EventData) -> Sealed:
    """The stored data (personal block sealed) and the content fingerprint; KeyDestroyed if erased."""
    plain = data.model_dump(mode="json", exclude_none=True)
    personal = _personal(data)
    if personal is None:
        return Sealed(plain, _fingerprint(posted, plain))
    family_id, block = personal
    key = await keys.get_or_create(family_id)
    stored = {**plain, "personal": seal_personal(key, family_id, posted.id, block)}
    fingerprinted = {**plain, "personal": {"digest": personal_digest(key, block)}}
    return Sealed(stored, _fingerprint(posted, fingerprinted))


async def fingerprint_of(keys: FamilyKeys, posted: PostedEvent, data: EventData) -> str | None:
    """The fingerprint a re-sent event would have had; None once the family key is destroyed."""
    plain = data.model_dump(mode="json", exclude_none=True)
    personal = _personal(data)
    if personal is None:
        return _fingerprint(posted, plain)
    family_id, block = personal
    key = await keys.get(family_id)
    if key is None:
        return None
    return _fingerprint(posted, {**plain, "personal": {"digest": personal_digest(key, block)}})


def same_apart_from_personal(original: StoredEvent, posted: PostedEvent, data: EventData) -> bool:
    """Whether a re-sent event matches the stored one in all but its personal block's content.

    For a family whose key was destroyed: the fingerprint can no longer be recomputed, but
    whether there is a personal block, and every other field, can still be compared.
    """
    stored = catalogue.upcast(original.type, original.schemaversion, original.data)
    posted_data = _blanked(data.model_dump(mode="json", exclude_none=True))
    return (datetime.fromisoformat(original.time) == posted.time  # the same instant, however written
            and _content(original.type, original.source, "", _blanked(stored))
            == _content(posted.type, posted.source, "", posted_data))


def _blanked(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with its personal block, if any, reduced to the fact that there is one."""
    return {**data, "personal": True} if "personal" in data else data


__all__ = ["KeyDestroyed", "Sealed", "fingerprint_of", "same_apart_from_personal", "seal"]
