"""CloudEvents 1.0 envelopes: what a client posts, and what the log stores.

The stored form adds the facts only the server knows (who posted it, when it arrived, which
aggregate and version it extends, its hash chain). The JetStream sequence is assigned when the
event is stored, so it is not part of the stored bytes: readers add it from the message metadata.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from shared.canonical import canonical_json, sha256_hex
from shared.riga import RIGA

from .fields import Id

GENESIS_HASH = "0" * 64
MAX_FUTURE_SKEW = timedelta(minutes=5)
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=RIGA)  # as for consent dates and report months


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("time must carry a UTC offset, e.g. 2020-01-14T10:00:00+02:00")
    if value < EARLIEST_TIME:
        # A phone whose clock was reset (1970) or a typo (0001): no report could ever count it,
        # and times at the edge of what a datetime holds cannot even be turned into Riga time.
        raise ValueError(f"time must be {EARLIEST_TIME:%Y-%m-%d} (Riga time) or later")
    return value


_RFC3339 = re.compile(r"\A\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})\Z")


def _rfc3339_text(value: object) -> object:
    # CloudEvents `time` is RFC 3339 text; pydantic alone would also take Unix timestamps.
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("time must be RFC 3339 text, e.g. 2020-01-14T10:00:00+02:00")
    return value


AwareDatetime = Annotated[datetime, BeforeValidator(_rfc3339_text), AfterValidator(_aware)]
Source = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"^[^\s]+$")]
CorrelationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]


class PostedEvent(BaseModel):
    """One event as a client posts it (CloudEvents 1.0, structured JSON mode)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"]
    id: Id
    source: Source
    type: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    time: AwareDatetime
    datacontenttype: Literal["application/json"] | None = None
    expectedversion: Annotated[int, Field(ge=0, strict=True)] | None = None
    correlationid: CorrelationId | None = None
    data: dict[str, Any]


def is_too_far_in_future(time: datetime, now: datetime | None = None) -> bool:
    """A field time more than five minutes ahead of the server clock is refused."""
    return time > (now or datetime.now(UTC)) + MAX_FUTURE_SKEW


def format_time(value: datetime) -> str:
    """RFC 3339 text keeping the client's offset (reports convert to Europe/Riga)."""
    return value.isoformat()


class StoredEvent(BaseModel):
    """One event as the log holds it; `sequence` is filled in when read back."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    time: str
    datacontenttype: Literal["application/json"] = "application/json"
    subject: str
    recordedtime: str
    actor: str
    actorrole: str
    municipalityid: str
    aggregatetype: str
    aggregateid: str
    version: int
    schemaversion: int
    correlationid: str | None = None
    fingerprint: str
    prevhash: str
    hash: str
    data: dict[str, Any]
    sequence: int | None = None

    @classmethod
    def chain(cls, **fields: Any) -> tuple[StoredEvent, bytes]:
        """A new stored event from trusted fields, with its hash; and the bytes to write.

        The intake builds one per append, so this skips re-validation and serialises once for
        the hash and once for the payload.
        """
        body = {"specversion": "1.0", "datacontenttype": "application/json",
                **{k: v for k, v in fields.items() if v is not None}}
        digest = sha256_hex(canonical_json(body))
        return cls.model_construct(**body, hash=digest), canonical_json({**body, "hash": digest})

    def hashed_form(self) -> dict[str, Any]:
        """The fields the hash covers: everything stored except the hash and the sequence."""
        return self.model_dump(mode="json", exclude={"hash", "sequence"}, exclude_none=True)

    def compute_hash(self) -> str:
        return sha256_hex(canonical_json(self.hashed_form()))

    def payload(self) -> bytes:
        """The bytes written to the log."""
        return canonical_json(self.model_dump(mode="json", exclude={"sequence"}, exclude_none=True))

    def with_sequence(self, sequence: int) -> StoredEvent:
        return self.model_copy(update={"sequence": sequence})

    @classmethod
    def from_payload(cls, payload: bytes, sequence: int | None = None) -> StoredEvent:
        event = cls.model_validate_json(payload)
        return event if sequence is None else event.with_sequence(sequence)

    def as_json(self) -> dict[str, Any]:
        """The public JSON form (GET /v1/events/{id}, audit replay)."""
        return self.model_dump(mode="json", exclude_none=True)
