"""The checkpoint stream: signed checkpoints appended one after the other, never rewritten.

`<log stream>_CHECKPOINTS`, one subject (`<prefix>-checkpoints`, outside the log's `<prefix>.>`),
created by our own code with the log's protections (file storage, no limits, deny delete and
purge) and checked for drift the same way (`shared/bus/stream.py`). Checkpoint number k is
stream sequence k. Every append carries `Nats-Expected-Last-Sequence`: it is stored only if the
stream still ends at the checkpoint the writer resumed from, so two notaries can never both
extend the same checkpoint, and the checkpoints form one line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import nats.errors
from nats.js import JetStreamContext, api
from nats.js.errors import APIError, NotFoundError

from shared.audit.reader import read_log
from shared.bus.eventlog import UNAVAILABLE, WRONG_LAST_SEQUENCE_CODES, LogUnavailable
from shared.bus.stream import StreamSpec, wait_for_stream

from .checkpoints import Checkpoint, Recorded

MAX_CHECKPOINT_BYTES = 64 * 1024


def checkpoint_stream(log_stream: str) -> str:
    """The name of a log's checkpoint stream."""
    return f"{log_stream}_CHECKPOINTS"


def checkpoint_subject(subject_prefix: str) -> str:
    """The one subject of a log's checkpoint stream."""
    return f"{subject_prefix}-checkpoints"


class CheckpointConflict(RuntimeError):
    """The checkpoint stream moved on since the notary resumed: another notary appended."""


@dataclass(frozen=True)
class CheckpointStreamSpec(StreamSpec):
    """The checkpoint stream of the log whose subjects start with `subjects_prefix`."""

    def config(self) -> api.StreamConfig:
        return api.StreamConfig(
            name=self.name,
            description="Tilts signed Merkle checkpoints of the event log (append-only)",
            subjects=[checkpoint_subject(self.subjects_prefix)],
            storage=api.StorageType.FILE,
            retention=api.RetentionPolicy.LIMITS,
            discard=api.DiscardPolicy.NEW,
            max_msgs=-1, max_bytes=-1, max_age=0, max_msgs_per_subject=-1,
            max_msg_size=MAX_CHECKPOINT_BYTES,
            num_replicas=self.replicas,
            duplicate_window=self.duplicate_window_seconds,
            deny_delete=True, deny_purge=True, allow_rollup_hdrs=False,
            allow_direct=True,
        )


class CheckpointStore:
    """Reads and appends one log's checkpoints."""

    def __init__(self, js: JetStreamContext, *, log_stream: str, subject_prefix: str, replicas: int = 1,
                 timeout: float = 5.0) -> None:
        self.js = js
        self.stream = checkpoint_stream(log_stream)
        self.subject = checkpoint_subject(subject_prefix)
        self._spec = CheckpointStreamSpec(self.stream, subject_prefix, replicas)
        self._timeout = timeout

    async def ensure(self) -> None:
        """Create the checkpoint stream if missing; refuse one whose protections were weakened."""
        await wait_for_stream(self.js, self._spec)

    async def count(self) -> int:
        """How many checkpoints there are (0 when the stream does not exist)."""
        try:
            return (await self.js.stream_info(self.stream)).state.last_seq
        except NotFoundError:
            return 0

    async def get(self, number: int) -> Recorded:
        """Checkpoint `number` (1 is the first)."""
        message = await self.js.get_msg(self.stream, number, direct=True)
        return Recorded.read(number, message.data or b"")

    async def latest(self) -> Recorded | None:
        """The last checkpoint, or None when there is none."""
        number = await self.count()
        return await self.get(number) if number else None

    async def all(self, batch: int = 500) -> AsyncIterator[Recorded]:
        """Every checkpoint in order, up to the last one when reading starts."""
        last = await self.count()
        async for record in read_log(self.js, stream=self.stream, first=1, last=last, batch=batch):
            yield Recorded.read(record.sequence, record.payload)

    async def append(self, checkpoint: Checkpoint, after: int) -> int:
        """Store a checkpoint right after checkpoint `after`; its number. CheckpointConflict if another came first."""
        headers = {"Nats-Expected-Last-Sequence": str(after),
                   "Nats-Msg-Id": f"{checkpoint.log}/{checkpoint.size}/{checkpoint.root.hex()}"}
        try:
            ack = await self.js.publish(self.subject, checkpoint.to_bytes(), timeout=self._timeout,
                                        stream=self.stream, headers=headers)
        except APIError as error:
            if error.err_code in WRONG_LAST_SEQUENCE_CODES:
                raise CheckpointConflict(f"{self.stream} no longer ends at checkpoint {after}") from error
            raise
        except (*UNAVAILABLE, nats.errors.Error) as error:
            raise LogUnavailable(type(error).__name__) from error
        # A duplicate (the same size and root stored moments ago: our own lost ack, or a twin
        # notary) is answered with the stored one's sequence, which is as good to continue from.
        return ack.seq
