"""The event log port over JetStream: conditional appends and reads of aggregate histories."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import nats.errors
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import APIError, NoStreamResponseError

from shared.events.envelope import StoredEvent

from .subjects import Subjects

log = structlog.get_logger(__name__)

# JetStream error codes meaning "the subject's last sequence is not what you expected". 10164 is
# what clustered (R3) streams and atomic batches answer; after a lost ack either may mean "your
# own earlier attempt is already stored", so callers look in the history before calling it a conflict.
WRONG_LAST_SEQUENCE_CODES = frozenset({10071, 10164})

# "Duplicate message id is in process": an earlier publish with this Nats-Msg-Id was proposed but
# is not committed yet — typically a client's re-send after a 503 while the stream waits for its
# quorum to come back. That attempt may yet be stored, so the answer is "ask again in a moment".
STILL_STORING_CODE = 10158

# NoStreamResponseError: no stream answered the publish (it has no leader, e.g. without a quorum).
UNAVAILABLE = (nats.errors.TimeoutError, nats.errors.NoRespondersError, nats.errors.ConnectionClosedError,
               nats.errors.ConnectionDrainingError, nats.errors.ConnectionReconnectingError,
               nats.errors.OutboundBufferLimitError, nats.errors.StaleConnectionError, asyncio.TimeoutError,
               NoStreamResponseError)


class LogUnavailable(RuntimeError):
    """JetStream did not answer; the append may or may not have been stored."""


class NotSent(LogUnavailable):
    """The append never reached JetStream (not connected, no one to answer): nothing was stored.

    Refused at once rather than left in the client's reconnect buffer, where it would be stored
    whenever the connection came back — after the caller had been told 503.
    """


async def beyond_the_log(log_head: Callable[[], Awaitable[int]], sequence: int) -> str | None:
    """Why `sequence` can never be waited for, if it cannot: the log has not written it yet.

    A read that waits for a sequence (`min_sequence`) would otherwise wait out its bound and
    answer 503, inviting retries that cannot succeed. None when it is written, or when the log
    cannot say (then the caller waits as for any other sequence).
    """
    try:
        head = await log_head()
    except LogUnavailable:
        return None
    return f"the log ends at sequence {head}; {sequence} has not been written" if sequence > head else None


class StillStoring(LogUnavailable):
    """An earlier publish of this event id is still being stored; it may or may not succeed."""


class WrongLastSequence(RuntimeError):
    """The aggregate moved on since its state was read (optimistic concurrency)."""


class AppendRejected(RuntimeError):
    """JetStream refused the append for another reason (e.g. a duplicate id in an atomic batch)."""

    def __init__(self, code: int | None, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code


@dataclass(frozen=True)
class Append:
    """One conditional append: write `payload` to `subject` only if the aggregate is at `expected_sequence`."""

    subject: str
    payload: bytes
    msg_id: str
    expected_sequence: int
    guard: str  # filter whose last sequence must equal expected_sequence (the aggregate, any municipality)

    def headers(self) -> dict[str, str]:
        return {"Nats-Msg-Id": self.msg_id,
                "Nats-Expected-Last-Subject-Sequence": str(self.expected_sequence),
                "Nats-Expected-Last-Subject-Sequence-Subject": self.guard}


@dataclass(frozen=True)
class Appended:
    sequence: int
    duplicate: bool


def _raise_for(error: APIError) -> None:
    if error.err_code in WRONG_LAST_SEQUENCE_CODES:
        raise WrongLastSequence(error.description) from error
    if error.err_code == STILL_STORING_CODE:
        raise StillStoring(error.description or "an earlier attempt is still being stored") from error
    if error.code == 503:
        raise LogUnavailable(error.description or "JetStream unavailable") from error
    raise AppendRejected(error.err_code, error.description or "") from error


class EventLog:
    """Appends to and reads from the one stream of record."""

    def __init__(self, nc: NATS, js: JetStreamContext, stream: str, subjects: Subjects,
                 *, timeout: float = 5.0) -> None:
        self.nc = nc
        self.js = js
        self.stream = stream
        self.subjects = subjects
        self.timeout = timeout

    def _check_connected(self) -> None:
        if not self.nc.is_connected:
            raise NotSent("not connected to NATS")

    async def append(self, item: Append) -> Appended:
        """Store one event; WrongLastSequence if the aggregate moved, LogUnavailable if unsure
        (NotSent when certainly not stored)."""
        self._check_connected()
        try:
            ack = await self.js.publish(item.subject, item.payload, timeout=self.timeout,
                                        stream=self.stream, headers=item.headers())
        except APIError as error:
            _raise_for(error)
        except nats.errors.NoRespondersError as error:
            raise NotSent(type(error).__name__) from error
        except UNAVAILABLE as error:
            raise LogUnavailable(type(error).__name__) from error
        return Appended(sequence=ack.seq, duplicate=bool(ack.duplicate))

    async def append_atomic(self, items: Sequence[Append]) -> list[int]:
        """Store several events all-or-nothing (one fsync); their sequences in order.

        Only the first event of each aggregate carries the expected-sequence condition: the
        batch commits as a whole, so later events of the same aggregate cannot interleave.
        """
        if not items:
            return []
        self._check_connected()
        batch_id = uuid.uuid4().hex
        seen: set[str] = set()
        try:
            for number, item in enumerate(items, start=1):
                headers = {"Nats-Msg-Id": item.msg_id, "Nats-Batch-Id": batch_id,
                           "Nats-Batch-Sequence": str(number)}
                if item.guard not in seen:
                    headers["Nats-Expected-Last-Subject-Sequence"] = str(item.expected_sequence)
                    headers["Nats-Expected-Last-Subject-Sequence-Subject"] = item.guard
                    seen.add(item.guard)
                if number < len(items):
                    await self.nc.publish(item.subject, item.payload, headers=headers)
                else:
                    headers["Nats-Batch-Commit"] = "1"
                    reply = await self.nc.request(item.subject, item.payload, timeout=self.timeout,
                                                  headers=headers)
        except UNAVAILABLE as error:
            raise LogUnavailable(type(error).__name__) from error
        answer = json.loads(reply.data)
        if "error" in answer:
            error = answer["error"]
            _raise_for(APIError(code=error.get("code"), err_code=error.get("err_code"),
                                description=error.get("description")))
        last = int(answer["seq"])
        return list(range(last - len(items) + 1, last + 1))

    async def history(self, subject: str, after: int = 0) -> list[StoredEvent]:
        """Every event stored on `subject` with a sequence above `after`, in order."""
        events: list[StoredEvent] = []
        start = after + 1
        while True:
            batch, pending = await self._direct_batch(subject, start)
            events.extend(batch)
            if not batch or not pending:
                return events
            start = batch[-1].sequence + 1

    async def _direct_batch(self, subject: str, start: int, size: int = 256) -> tuple[list[StoredEvent], int]:
        inbox = self.nc.new_inbox()
        subscription = await self.nc.subscribe(inbox)
        request = json.dumps({"seq": start, "next_by_subj": subject, "batch": size}).encode()
        events: list[StoredEvent] = []
        try:
            await self.nc.publish(f"$JS.API.DIRECT.GET.{self.stream}", request, reply=inbox)
            while True:
                message = await subscription.next_msg(timeout=self.timeout)
                headers = message.headers or {}
                status = headers.get("Status")
                if status == "404":
                    return events, 0
                if status == "204":
                    return events, int(headers.get("Nats-Num-Pending", "0"))
                if status:
                    raise LogUnavailable(f"direct get answered {status}")
                events.append(StoredEvent.from_payload(message.data, int(headers["Nats-Sequence"])))
        except UNAVAILABLE as error:
            raise LogUnavailable(type(error).__name__) from error
        finally:
            await subscription.unsubscribe()

    async def _direct_one(self, request: dict) -> tuple[str, int, bytes] | None:
        """(subject, sequence, payload) of one direct-get answer, None when nothing matches."""
        try:
            message = await self.nc.request(f"$JS.API.DIRECT.GET.{self.stream}", json.dumps(request).encode(),
                                            timeout=self.timeout)
        except UNAVAILABLE as error:
            raise LogUnavailable(type(error).__name__) from error
        headers = message.headers or {}
        status = headers.get("Status")
        if status == "404":
            return None
        if status:
            raise LogUnavailable(f"direct get answered {status}")
        return headers["Nats-Subject"], int(headers["Nats-Sequence"]), message.data

    async def locate(self, filter_subject: str) -> str | None:
        """The subject of the newest event matching a filter (wildcards allowed), or None."""
        found = await self._direct_one({"last_by_subj": filter_subject})
        return None if found is None else found[0]

    async def get(self, sequence: int) -> StoredEvent | None:
        """The event stored at a sequence."""
        found = await self._direct_one({"seq": sequence})
        return None if found is None else StoredEvent.from_payload(found[2], found[1])

    async def last_sequence(self) -> int:
        try:
            info = await self.js.stream_info(self.stream)
        except UNAVAILABLE as error:
            raise LogUnavailable(type(error).__name__) from error
        return info.state.last_seq
