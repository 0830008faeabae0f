"""`tilts up` on a data dir whose log the other NATS layout holds: refused before anything starts."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import nats

from shared.embedded import EmbeddedNats, free_port, start_cluster
from tilts.log_layout import CLUSTER_FOLDER, SINGLE_FOLDER, find_stores
from tilts.services import SERVICES

REPO = Path(__file__).resolve().parents[2]


async def _add_stream(url: str, replicas: int) -> None:
    connection = await nats.connect(url)
    try:
        await connection.jetstream().add_stream(name="TILTS_EVENTS", subjects=["tilts.ev.>"], num_replicas=replicas)
    finally:
        await connection.close()


def _single_node_log(data_dir: Path) -> None:
    with EmbeddedNats(data_dir / SINGLE_FOLDER) as server:
        asyncio.run(_add_stream(server.url, 1))


def _cluster_log(data_dir: Path) -> None:
    servers = start_cluster(data_dir / CLUSTER_FOLDER, 3)
    try:
        asyncio.run(_add_stream(servers[0].url, 3))
    finally:
        for server in servers:
            server.stop()


def _tilts_up(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TILTS_")}
    env.update({f"TILTS_{name.upper()}_PORT": str(free_port()) for name in SERVICES})
    env["TILTS_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "tilts", "up", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)


def test_what_real_servers_write_is_told_apart(tmp_path: Path) -> None:
    (tmp_path / "single").mkdir()
    with EmbeddedNats(tmp_path / "single" / SINGLE_FOLDER):
        pass
    clustered = tmp_path / "cluster"
    for server in start_cluster(clustered / CLUSTER_FOLDER, 3):
        server.stop()
    assert not find_stores(tmp_path / "single").single_log  # started, but no stream yet
    assert not find_stores(clustered).cluster_log  # raft state only
    _single_node_log(tmp_path / "single")
    _cluster_log(clustered)
    assert find_stores(tmp_path / "single").single_log
    assert find_stores(clustered).cluster_log and find_stores(clustered).cluster_nodes == 3


def test_a_cluster_is_not_started_on_a_single_node_log(tmp_path: Path) -> None:
    _single_node_log(tmp_path)

    run = _tilts_up(tmp_path, "--cluster", "3")

    assert run.returncode == 1, run.stdout + run.stderr
    message = " ".join(run.stderr.split())
    assert f"{tmp_path / 'nats'} holds this data dir's event log" in message
    assert "Run `tilts up` without --cluster" in message
    assert not (tmp_path / CLUSTER_FOLDER).exists() and not (tmp_path / "postgres").exists()


def test_a_single_server_is_not_started_on_a_cluster_log(tmp_path: Path) -> None:
    _cluster_log(tmp_path)

    run = _tilts_up(tmp_path)

    assert run.returncode == 1, run.stdout + run.stderr
    message = " ".join(run.stderr.split())
    assert f"{tmp_path / 'nats-cluster'} holds this data dir's event log" in message
    assert "Run `tilts up --cluster 3`" in message
    assert not (tmp_path / SINGLE_FOLDER).exists() and not (tmp_path / "postgres").exists()
