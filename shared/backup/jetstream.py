"""JetStream's own stream snapshot and restore, spoken over plain NATS requests (nats-py has no wrapper).

A snapshot is the server's point-in-time copy of the stream's files (every message with its
sequence, subject, headers and timestamp), an s2-compressed tar streamed in chunks: we ask
`$JS.API.STREAM.SNAPSHOT.<stream>` to send it to an inbox, acknowledge each chunk on its reply
subject (the server stops sending when more than its window is unacknowledged) and stop at the
empty message that ends it. A restore asks `$JS.API.STREAM.RESTORE.<stream>` for a subject,
sends the file there chunk by chunk, each as a request the server answers once it has written the
chunk, and an empty request at the end, answered when the stream exists again. This is what
`nats stream backup`/`restore` (nats.go's jsm) do; the server refuses to restore over an existing
stream. Consumers are left out: every Tilts consumer is recreated from a position kept in
PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats.errors
from nats.aio.client import Client as NATS

from .errors import BackupError

SNAPSHOT_API = "$JS.API.STREAM.SNAPSHOT.{stream}"
RESTORE_API = "$JS.API.STREAM.RESTORE.{stream}"
CHUNK_BYTES = 128 * 1024
API_TIMEOUT_SECONDS = 30.0
# The server answers the snapshot request only after checking every message's checksum.
CHECKED_SNAPSHOT_TIMEOUT_SECONDS = 600.0
CHUNK_TIMEOUT_SECONDS = 60.0
# After the last chunk the server rebuilds the stream from the tar before it answers.
FINISH_TIMEOUT_SECONDS = 3600.0

Advance = Callable[[int], None]


class StreamTransferFailed(BackupError):
    """The server refused or broke off a snapshot or a restore."""


@dataclass(frozen=True)
class Snapshot:
    """A snapshot written to a file: the stream's configuration and state at that point, and the file's digest."""

    config: dict[str, Any]
    state: dict[str, Any]
    sha256: str
    bytes: int


def _answer(data: bytes, what: str) -> dict[str, Any]:
    try:
        answer = json.loads(data)
    except ValueError:
        raise StreamTransferFailed(f"{what}: the server answered {data[:200]!r}") from None
    if not isinstance(answer, dict):
        raise StreamTransferFailed(f"{what}: the server answered {data[:200]!r}")
    error = answer.get("error")
    if error:
        raise StreamTransferFailed(f"{what}: {error.get('description', error)} "
                                   f"(JetStream error {error.get('err_code', error.get('code'))})")
    return answer


async def _request(nc: NATS, subject: str, payload: bytes, timeout: float, what: str) -> bytes:
    try:
        return (await nc.request(subject, payload, timeout=timeout)).data
    except nats.errors.NoRespondersError:
        raise StreamTransferFailed(f"{what}: no JetStream server answers (is JetStream enabled?)") from None
    except nats.errors.TimeoutError:
        raise StreamTransferFailed(f"{what}: the server did not answer within {timeout:.0f} s") from None


async def snapshot_stream(nc: NATS, stream: str, target: Path, advance: Advance = lambda _: None) -> Snapshot:
    """Write a snapshot of `stream` to `target` (owner-only); checks every message's checksum first."""
    inbox = nc.new_inbox()
    chunks = await nc.subscribe(inbox, pending_msgs_limit=-1, pending_bytes_limit=-1)
    what = f"snapshot of {stream}"
    try:
        request = {"deliver_subject": inbox, "no_consumers": True, "chunk_size": CHUNK_BYTES, "jsck": True}
        answer = _answer(await _request(nc, SNAPSHOT_API.format(stream=stream), json.dumps(request).encode(),
                                        CHECKED_SNAPSHOT_TIMEOUT_SECONDS, what), what)
        digest, written = hashlib.sha256(), 0
        target.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            while True:
                try:
                    chunk = await chunks.next_msg(timeout=CHUNK_TIMEOUT_SECONDS)
                except nats.errors.TimeoutError:
                    raise StreamTransferFailed(f"{what}: no data for {CHUNK_TIMEOUT_SECONDS:.0f} s after "
                                               f"{written:,} bytes") from None
                if not chunk.data:  # the end; a status other than 204 says the server gave up
                    status = (chunk.headers or {}).get("Status", "204")
                    if status != "204":
                        description = (chunk.headers or {}).get("Description", "")
                        raise StreamTransferFailed(f"{what}: the server stopped with {status} {description}".strip())
                    break
                out.write(chunk.data)
                digest.update(chunk.data)
                written += len(chunk.data)
                if chunk.reply:
                    await nc.publish(chunk.reply, b"")
                advance(written)
            out.flush()
    finally:
        await chunks.unsubscribe()
    return Snapshot(answer["config"], answer["state"], digest.hexdigest(), written)


async def restore_stream(nc: NATS, source: Path, config: dict[str, Any], state: dict[str, Any],
                         advance: Advance = lambda _: None) -> dict[str, Any]:
    """Recreate a stream from a snapshot file; the restored stream's state as the server reports it."""
    stream = config["name"]
    what = f"restore of {stream}"
    request = json.dumps({"config": config, "state": state}).encode()
    answer = _answer(await _request(nc, RESTORE_API.format(stream=stream), request, API_TIMEOUT_SECONDS, what), what)
    deliver = answer["deliver_subject"]
    sent = 0
    with source.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            reply = await _request(nc, deliver, chunk, CHUNK_TIMEOUT_SECONDS, what)
            if reply:  # an empty answer means written; anything else is the server's complaint
                raise StreamTransferFailed(f"{what}: {reply.decode(errors='replace')[:200]}")
            sent += len(chunk)
            advance(sent)
    finished = _answer(await _request(nc, deliver, b"", FINISH_TIMEOUT_SECONDS, what), what)
    restored: dict[str, Any] = finished["state"]
    return restored
