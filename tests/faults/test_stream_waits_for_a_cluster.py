"""A service that meets a cluster not yet able to answer waits for it instead of exiting.

The services of one system start together: one creates the replicated stream while another asks
about it, and JetStream leaves that question unanswered until the stream has a leader. A service
that gave up on the first timeout exited at startup (seen in CI on a busy machine).
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

from shared.bus.connect import connect
from shared.bus.stream import StreamSpec, wait_for_stream
from shared.embedded import EmbeddedNats, cluster_nodes, wait_until


def _listening(node: EmbeddedNats) -> bool:
    host, port = node.url.removeprefix("nats://").rsplit(":", 1)
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) == 0


async def test_the_stream_is_made_once_the_cluster_can_answer(tmp_path: Path, unique_id: str) -> None:
    first, *others = nodes = cluster_nodes(tmp_path / "cluster", 3, cluster_name=f"w{uuid.uuid4().hex[:6]}")
    try:
        first.launch()  # alone: no quorum, so JetStream cannot answer
        await asyncio.to_thread(wait_until, lambda: _listening(first), 20, 0.05, what="the first node to listen")
        nc = await connect(first.url, "tilts-test-waiting")
        try:
            js = nc.jetstream(timeout=1)
            waiting = asyncio.create_task(
                wait_for_stream(js, StreamSpec(f"W{unique_id}", f"w{unique_id}", replicas=3), timeout=60, pause=0.2))
            await asyncio.sleep(3)
            assert not waiting.done(), waiting.exception() if waiting.done() else None
            for node in others:
                node.launch()
            info = await asyncio.wait_for(waiting, 60)
            assert (info.config.name, info.config.num_replicas) == (f"W{unique_id}", 3)
        finally:
            await nc.close()
    finally:
        for node in nodes:
            node.stop()
