"""Real nats-server and PostgreSQL processes: they start, survive restarts and kills, and clean up."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import nats
import psutil
import pytest
from nats.js.api import StorageType

from shared.embedded import (
    SYSTEM_USER,
    EmbeddedNats,
    EmbeddedPostgres,
    set_child_subreaper,
    start_cluster,
    wait_until,
)


@pytest.fixture(scope="module", autouse=True)
def adopt_orphans() -> Iterator[None]:
    """Reap the backends of SIGKILLed postmasters ourselves: PID 1 may not (see process.py)."""
    set_child_subreaper(True)
    yield
    set_child_subreaper(False)


@pytest.fixture
def pg_data_dir() -> Iterator[Path]:
    """A data directory outside pytest's private tmp tree (see postgres_server in tests/conftest.py)."""
    base = Path(tempfile.mkdtemp(prefix="tilts-pg-test-"))
    yield base / "data"
    shutil.rmtree(base, ignore_errors=True)


def exited(pid: int) -> bool:
    """Whether `pid` has exited; reaps it if it was reparented to us."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        return reaped == pid
    except ChildProcessError:
        pass
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def publish(url: str, stream: str, count: int = 1, replicas: int = 1) -> list[int]:
    """Create a file stream `stream` (if needed), publish `count` messages, return the acked sequences."""
    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        js = nc.jetstream(timeout=10)
        await js.add_stream(name=stream, subjects=[f"{stream}.>"], storage=StorageType.FILE, num_replicas=replicas)
        return [(await js.publish(f"{stream}.ev", f"event {i}".encode())).seq for i in range(count)]
    finally:
        await nc.close()


async def stream_messages(url: str, stream: str) -> int:
    """How many messages `stream` holds."""
    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        info = await nc.jetstream().stream_info(stream)
        return info.state.messages
    finally:
        await nc.close()


async def fetchval(url: str, sql: str) -> object:
    """Run one query on a fresh connection and return the first value."""
    conn = await asyncpg.connect(url, timeout=10)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


# --- NATS ---------------------------------------------------------------------------------


async def test_jetstream_is_enabled_and_a_file_stream_acknowledges_a_publish(nats_url: str, unique_id: str) -> None:
    assert await publish(nats_url, unique_id, count=2) == [1, 2]


def test_the_nats_config_fsyncs_every_acknowledged_write(nats_server: EmbeddedNats) -> None:
    assert "sync_interval: always" in nats_server.config_path.read_text()
    assert nats_server.jsz()["config"]["sync_always"] is True


async def test_a_restarted_nats_server_keeps_its_stream_messages_on_the_same_url(tmp_path: Path, unique_id: str) -> None:
    with EmbeddedNats(tmp_path / "nats") as server:
        url = server.url
        await publish(url, unique_id, count=3)
        server.restart()
        assert server.url == url
        assert await stream_messages(url, unique_id) == 3


async def test_a_killed_nats_server_recovers_on_start(tmp_path: Path, unique_id: str) -> None:
    with EmbeddedNats(tmp_path / "nats") as server:
        await publish(server.url, unique_id, count=3)
        pid = server.pid
        assert pid is not None
        server.kill()
        assert not server.is_running() and not psutil.pid_exists(pid)
        server.start()
        assert await stream_messages(server.url, unique_id) == 3


async def test_a_three_node_cluster_forms_and_an_r3_stream_accepts_a_publish(tmp_path: Path, unique_id: str) -> None:
    servers = start_cluster(tmp_path / "cluster", 3)
    try:
        assert len({s.server_name for s in servers}) == 3
        assert await publish(servers[0].url, unique_id, replicas=3) == [1]
        nc = await nats.connect(servers[2].url, connect_timeout=5, max_reconnect_attempts=0)
        try:
            info = await nc.jetstream().stream_info(unique_id)
        finally:
            await nc.close()
        assert info.cluster is not None and len(info.cluster.replicas or []) == 2
    finally:
        for server in servers:
            server.stop()
    assert not any(s.is_running() for s in servers)


# --- PostgreSQL ---------------------------------------------------------------------------


async def test_asyncpg_connects_with_the_database_url(database_url: str) -> None:
    assert await fetchval(database_url, "SELECT current_database() || '/' || current_user") == "tilts/tilts"


def test_the_postgres_password_file_is_readable_only_by_its_owner(postgres_server: EmbeddedPostgres) -> None:
    assert stat.S_IMODE(postgres_server.password_file.stat().st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="only root has to switch users")
def test_postgres_runs_as_an_unprivileged_user_when_we_are_root(postgres_server: EmbeddedPostgres) -> None:
    assert postgres_server.pid is not None
    postmaster = psutil.Process(postgres_server.pid)
    assert postmaster.username() == SYSTEM_USER
    assert 0 not in (*postmaster.uids(), *postmaster.gids())


async def test_postgres_data_survives_a_stop_and_a_start_by_a_new_object(pg_data_dir: Path) -> None:
    with EmbeddedPostgres(pg_data_dir) as server:
        await fetchval(server.url, "CREATE TABLE kept AS SELECT 'Ștefan'::text AS name")
    # A new object on the same data directory reads the saved password.
    with EmbeddedPostgres(pg_data_dir) as again:
        assert await fetchval(again.url, "SELECT upper(name) FROM kept") == "ȘTEFAN"


async def test_a_killed_postgres_recovers_on_start(pg_data_dir: Path) -> None:
    with EmbeddedPostgres(pg_data_dir) as server:
        url = server.url
        await fetchval(url, "CREATE TABLE kept AS SELECT 42 AS answer")
        server.kill()
        assert not server.is_running()
        assert (pg_data_dir / "postmaster.pid").exists()  # stale: postgres must cope with it
        server.start()
        assert server.url == url
        assert await fetchval(url, "SELECT answer FROM kept") == 42


# --- Processes ----------------------------------------------------------------------------


def test_stopping_leaves_no_server_process_behind(tmp_path: Path, pg_data_dir: Path) -> None:
    nats_server, pg_server = EmbeddedNats(tmp_path / "nats"), EmbeddedPostgres(pg_data_dir)
    pids: list[int] = []
    for server in (nats_server, pg_server):
        server.start()
        assert server.pid is not None
        pids += [server.pid, *(child.pid for child in psutil.Process(server.pid).children(recursive=True))]
        server.stop()
        server.stop()  # idempotent
        assert server.pid is None
    assert not [pid for pid in pids if psutil.pid_exists(pid)]


_ORPHAN_SCRIPT = """
import json, os, pathlib, pwd, sys, time
from shared.embedded import EmbeddedNats, SYSTEM_USER, process
server = EmbeddedNats(pathlib.Path(sys.argv[1]))
server.start()
uid = gid = None
if os.geteuid() == 0:
    entry = pwd.getpwnam(SYSTEM_USER)
    uid, gid = entry.pw_uid, entry.pw_gid
sleeper = process.spawn(["sleep", "300"], log_path=pathlib.Path(sys.argv[1]) / "sleep.log", user=uid, group=gid)
print(json.dumps([server.pid, sleeper.pid]), flush=True)
time.sleep(300)
"""


def test_servers_die_with_the_process_that_started_them(tmp_path: Path, postgres_server: EmbeddedPostgres) -> None:
    # postgres_server guarantees that SYSTEM_USER exists when we are root: the sleeper then
    # runs under another uid, which is when the parent-death signal must be set after setuid.
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        children = json.loads(parent.stdout.readline())
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    wait_until(lambda: all(exited(pid) for pid in children), 10, 0.05, what=f"{children} to die with their parent")
