"""The event stream: created by our own code with the settings the log of record needs.

FastStream's `JStream` would re-declare the stream on every start and silently rewrite its
settings; we create it once here, refuse to start if an existing stream has drifted on a setting
that protects the record, and everywhere else meet the stream with `declare=False`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import nats.errors
import structlog
from nats.js import JetStreamContext
from nats.js import api
from nats.js.errors import NotFoundError, ServiceUnavailableError

log = structlog.get_logger(__name__)

MAX_EVENT_BYTES = 1024 * 1024

# What JetStream answers while it cannot answer yet: a cluster still electing its leaders, a new
# stream's replicas still choosing theirs, a node whose peers are not up.
NOT_READY = (nats.errors.TimeoutError, nats.errors.NoRespondersError, ServiceUnavailableError)


class StreamDrift(RuntimeError):
    """An existing stream's protective settings differ from what Tilts requires."""


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects_prefix: str
    replicas: int = 1
    duplicate_window_seconds: float = 120.0

    def config(self) -> api.StreamConfig:
        return api.StreamConfig(
            name=self.name,
            description="Tilts event log of record (append-only)",
            subjects=[f"{self.subjects_prefix}.>"],
            storage=api.StorageType.FILE,
            retention=api.RetentionPolicy.LIMITS,
            discard=api.DiscardPolicy.NEW,  # never drop old events; refuse new ones if ever full
            max_msgs=-1, max_bytes=-1, max_age=0, max_msgs_per_subject=-1,
            max_msg_size=MAX_EVENT_BYTES,
            num_replicas=self.replicas,
            duplicate_window=self.duplicate_window_seconds,
            deny_delete=True, deny_purge=True, allow_rollup_hdrs=False,
            allow_direct=True, allow_atomic=True,
        )


# Settings whose change would weaken the record: never changed by a service, only reported.
_PROTECTED = ("subjects", "storage", "retention", "discard", "max_msgs", "max_bytes", "max_age",
              "max_msgs_per_subject", "deny_delete", "deny_purge", "allow_rollup_hdrs")


def _drift(existing: api.StreamConfig, wanted: api.StreamConfig) -> list[str]:
    def norm(name: str, value: object) -> object:
        if name in ("max_msgs", "max_bytes", "max_msgs_per_subject") and value in (None, 0):
            return -1
        if name == "max_age" and value is None:
            return 0
        return value
    return [f"{name}: {norm(name, getattr(existing, name))!r} != {norm(name, getattr(wanted, name))!r}"
            for name in _PROTECTED
            if norm(name, getattr(existing, name)) != norm(name, getattr(wanted, name))]


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> api.StreamInfo:
    """Create the stream if missing; if present, check it and leave it as it is."""
    wanted = spec.config()
    try:
        info = await js.stream_info(spec.name)
    except NotFoundError:
        info = await js.add_stream(wanted)
        log.info("stream.created", stream=spec.name, replicas=spec.replicas)
        return info
    problems = _drift(info.config, wanted)
    if problems:
        raise StreamDrift(f"stream {spec.name} exists with settings Tilts will not run on: {problems}")
    if info.config.num_replicas != spec.replicas or info.config.duplicate_window != wanted.duplicate_window:
        log.warning("stream.settings_differ", stream=spec.name,
                    replicas=info.config.num_replicas, wanted_replicas=spec.replicas,
                    duplicate_window=info.config.duplicate_window)
    return info


async def wait_for_stream(js: JetStreamContext, spec: StreamSpec, *, timeout: float = 120.0,
                          pause: float = 1.0) -> api.StreamInfo:
    """`ensure_stream`, asked again while JetStream is not ready, for up to `timeout` seconds.

    Services of one system start together: one creates a replicated stream while another asks
    about it, and that question can go unanswered until the stream has a leader. A service that
    gave up then exited at startup; it now waits as it waits for PostgreSQL. A timed-out create is
    safe to ask again: the second call finds the stream and checks it.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await ensure_stream(js, spec)
        except NOT_READY as error:
            if time.monotonic() + pause >= deadline:
                raise
            log.warning("stream.waiting", stream=spec.name, error=type(error).__name__)
            await asyncio.sleep(pause)
