"""What JetStream answers while a clustered stream has no quorum means "ask again", never an error.

Found by the fault tests (tests/faults/test_nats_node_kills.py): with two of three nodes down the
intake answered 500 instead of 503, first because nats-py reports "no stream answered" as
NoStreamResponseError, then because a phone's re-send, once the nodes were back, met JetStream's
"duplicate message id is in process" (10158) while the first attempt was still being committed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from nats.js.errors import APIError, NoStreamResponseError

from shared.bus.eventlog import Append, Appended, EventLog, LogUnavailable, NotSent, StillStoring
from shared.bus.group_commit import GroupCommitter
from shared.bus.subjects import Subjects


class RefusingJetStream:
    """A JetStream context whose publish raises what a failing cluster raises."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def publish(self, *args: Any, **kwargs: Any) -> None:
        raise self.error


class Connection:
    def __init__(self, connected: bool = True) -> None:
        self.is_connected = connected


def _log(error: Exception, *, connected: bool = True) -> EventLog:
    return EventLog(Connection(connected), RefusingJetStream(error), "EV", Subjects("ev"))  # type: ignore[arg-type]


def _append(msg_id: str = "ev-1") -> Append:
    return Append("ev.m.activity.a1", b"{}", msg_id, 0, "ev.*.activity.a1")


async def test_a_publish_that_no_stream_answers_is_unavailable() -> None:
    with pytest.raises(LogUnavailable):
        await _log(NoStreamResponseError()).append(_append())


async def test_a_resend_while_the_first_attempt_is_still_being_stored_is_unavailable_not_rejected() -> None:
    in_process = APIError(code=409, err_code=10158, description="duplicate message id is in process")
    with pytest.raises(StillStoring) as raised:
        await _log(in_process).append(_append())
    assert isinstance(raised.value, LogUnavailable)


class OneStillStoring:
    """An event log where an atomic batch meets one id still being stored; single appends of the
    other ids succeed."""

    def __init__(self, busy_id: str) -> None:
        self.busy_id, self.sequence = busy_id, 0

    async def append_atomic(self, items: list[Append]) -> list[int]:
        raise StillStoring("duplicate message id is in process")

    async def append(self, item: Append) -> Appended:
        if item.msg_id == self.busy_id:
            raise StillStoring("duplicate message id is in process")
        self.sequence += 1
        return Appended(self.sequence, duplicate=False)


async def test_a_group_commit_with_one_id_still_being_stored_answers_the_others() -> None:
    committer = GroupCommitter(OneStillStoring("busy"), max_in_flight=0)  # type: ignore[arg-type]
    results = await asyncio.gather(*(committer.append(_append(i)) for i in ("a", "busy", "b", "c")),
                                   return_exceptions=True)
    assert isinstance(results[1], StillStoring)
    assert [r.sequence for r in (results[0], results[2], results[3])] == [1, 2, 3]  # type: ignore[union-attr]


async def test_while_disconnected_an_append_is_not_sent_at_all() -> None:
    # nats-py would keep the publish and send it on reconnect, long after the caller heard 503.
    never = _log(AssertionError("published while disconnected"), connected=False)
    with pytest.raises(NotSent):
        await never.append(_append())
    with pytest.raises(NotSent):
        await never.append_atomic([_append("ev-1"), _append("ev-2")])
