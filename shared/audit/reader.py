"""Reading a range of the log in sequence order, fast, leaving nothing behind on the server.

An ephemeral pull consumer (memory storage, no acks, deleted when done, and by the server after
`INACTIVE_THRESHOLD_SECONDS` if this process dies) is asked for `batch` messages at a time, two
requests in flight, and its messages are collected by a subscription callback. Measured on 100k
events this reads 3-5x faster than nats-py's `fetch()` or ordered consumer, whose per-message
task and timer (`next_msg`) cost more than the message itself, and ~1.8x faster than batched
direct gets (docs/architecture.md, "Auditing").

The range is fixed when reading starts; a read that cannot reach its last sequence raises
`ReadInterrupted` rather than end early, so an audit never passes on part of the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import deque
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

from shared.bus.eventlog import EventLog

INACTIVE_THRESHOLD_SECONDS = 300.0
PIPELINE_DEPTH = 2
NO_RESPONDERS_PAUSE_SECONDS = 0.1


class ReadInterrupted(RuntimeError):
    """The log stopped answering, or answered out of order, before the range was read."""


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One message of the stream: its sequence, its subject and the stored bytes."""

    sequence: int
    subject: str
    payload: bytes


def connection_of(js_or_log: JetStreamContext | EventLog) -> tuple[NATS, JetStreamContext]:
    """The NATS connection and JetStream context behind a context or an event log."""
    if isinstance(js_or_log, EventLog):
        return js_or_log.nc, js_or_log.js
    return js_or_log._nc, js_or_log  # nats-py has no public accessor for a context's connection


async def last_sequence(js: JetStreamContext, stream: str) -> int:
    """The stream's last sequence now (0 when empty)."""
    return (await js.stream_info(stream)).state.last_seq


def _stream_sequence(reply: str) -> int:
    # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending> (9 tokens), or with
    # a domain and account hash after $JS.ACK and a random token at the end (12 tokens).
    tokens = reply.split(".")
    return int(tokens[5] if len(tokens) == 9 else tokens[7])


class _Pulls:
    """Pull requests in flight, answered in order, and the messages that answered them."""

    def __init__(self, nc: NATS, stream: str, consumer: str, inbox: str, *, batch: int, timeout: float) -> None:
        self._nc, self._stream, self._inbox = nc, stream, inbox
        self._subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        self._batch, self._timeout = batch, timeout
        self._open: deque[list[int]] = deque()  # [wanted, received] per request, oldest first
        self._arrived: deque[Msg] = deque()
        self._ready = asyncio.Event()
        self._failure: str | None = None
        self._reask = False  # a request was answered "no responders": ask again
        self._unheard_since: float | None = None  # and since when nothing else came

    async def on_message(self, message: Msg) -> None:
        """Subscription callback: file a message under the oldest open request."""
        headers = message.headers
        if not message.data and headers and "Status" in headers:
            if headers["Status"] == "503":
                # No responders: in a cluster a new consumer's interest reaches the other servers
                # a moment after it was created (more so while nodes restart). Nothing was
                # delivered for the request; `take` asks again.
                self._reask = True
                self._unheard_since = self._unheard_since or time.monotonic()
                if self._open:
                    self._open.popleft()
            elif headers["Status"] != "100":  # 404/408: nothing more to give; 409: consumer gone
                self._failure = f"{headers['Status']} {headers.get('Description', '')}".strip()
                if self._open:
                    self._open.popleft()
        else:
            self._unheard_since = None
            self._arrived.append(message)
            if self._open:
                self._open[0][1] += 1
                if self._open[0][1] >= self._open[0][0]:
                    self._open.popleft()
        self._ready.set()

    async def ask(self, remaining: int) -> None:
        """Keep up to PIPELINE_DEPTH requests open for the `remaining` messages not yet asked for."""
        in_flight = sum(wanted - received for wanted, received in self._open)
        while len(self._open) < PIPELINE_DEPTH and (wanted := min(self._batch, remaining - in_flight)) > 0:
            self._open.append([wanted, 0])
            in_flight += wanted
            request = {"batch": wanted, "expires": int(self._timeout * 1e9)}
            await self._nc.publish(self._subject, json.dumps(request).encode(), reply=self._inbox)

    async def take(self, after: int) -> deque[Msg]:
        """The messages that arrived since the last take, waiting for at least one; none when a
        request found no responders (the caller asks again, after a pause, for `timeout` at most)."""
        while not self._arrived:
            if self._failure:
                raise ReadInterrupted(f"reading {self._stream} stopped after sequence {after}: {self._failure}")
            if self._reask and self._unheard_since is not None:
                if time.monotonic() - self._unheard_since > self._timeout:
                    raise ReadInterrupted(f"no responders for {self._stream}'s reading consumer after sequence "
                                          f"{after}")
                self._reask = False
                await asyncio.sleep(NO_RESPONDERS_PAUSE_SECONDS)
                return deque()
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), self._timeout)
            except TimeoutError as error:
                raise ReadInterrupted(f"no answer from {self._stream} after sequence {after}") from error
        arrived, self._arrived = self._arrived, deque()
        return arrived


async def _create_consumer(js: JetStreamContext, stream: str, name: str, first: int) -> None:
    await js.add_consumer(stream, config=api.ConsumerConfig(
        name=name, description="tilts audit read (ephemeral)",
        deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=first,
        ack_policy=api.AckPolicy.NONE, mem_storage=True, num_replicas=1,
        inactive_threshold=INACTIVE_THRESHOLD_SECONDS))


async def read_log(js_or_log: JetStreamContext | EventLog, *, stream: str, first: int, last: int,
                   batch: int = 500, timeout: float = 30.0) -> AsyncGenerator[LogRecord, None]:
    """Every message with `first <= sequence <= last`, in order."""
    first = max(first, 1)
    if first > last:
        return
    nc, js = connection_of(js_or_log)
    consumer, inbox = f"audit-{uuid.uuid4().hex[:12]}", nc.new_inbox()
    pulls = _Pulls(nc, stream, consumer, inbox, batch=batch, timeout=timeout)
    subscription = await nc.subscribe(inbox, cb=pulls.on_message, pending_msgs_limit=-1, pending_bytes_limit=-1)
    try:
        await _create_consumer(js, stream, consumer, first)
        previous = first - 1
        while previous < last:
            await pulls.ask(last - previous)
            for message in await pulls.take(previous):
                sequence = _stream_sequence(message.reply)
                if sequence <= previous:
                    raise ReadInterrupted(f"{stream} sent sequence {sequence} after {previous}")
                if sequence > last:
                    return
                previous = sequence
                yield LogRecord(sequence, message.subject, message.data)
    finally:
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
            await subscription.unsubscribe()
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
            await js.delete_consumer(stream, consumer)
