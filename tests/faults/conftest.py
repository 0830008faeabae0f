"""Fixtures for fault tests: servers a test may break, and systems whose processes always stop.

List a server fixture (`nats_cluster`, `own_postgres`) before `systems` in a test's arguments, so
the services are stopped before the servers they use.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.embedded import EmbeddedNats, EmbeddedPostgres, start_cluster
from tests.support.fault_rig import FaultSystem, MakeSystem
from tests.support.harness import create_database, fresh_settings
from tests.support.postgres import temporary_postgres

@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[list[EmbeddedNats]]:
    """A 3-node JetStream cluster of the test's own."""
    servers = start_cluster(tmp_path / "cluster", 3, cluster_name=f"c{uuid.uuid4().hex[:6]}")
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def own_postgres() -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server of the test's own."""
    with temporary_postgres("tilts-fault-pg-") as server:
        yield server


@pytest.fixture
async def systems(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeSystem]:
    """Makes FaultSystems on the given servers (default: the session's); stops all their processes."""
    made: list[FaultSystem] = []

    async def make(*, nats_nodes: list[EmbeddedNats] | None = None, postgres: EmbeddedPostgres | None = None,
                   connect_to: list[EmbeddedNats] | None = None) -> FaultSystem:
        """`connect_to`: the nodes the services are told about (default: all)."""
        if postgres is not None:
            database_url = postgres.url
        else:
            shared: EmbeddedPostgres = request.getfixturevalue("postgres_server")
            name = f"tilts_fault_{uuid.uuid4().hex[:10]}"
            await create_database(shared.url_for("postgres"), name)
            database_url = shared.url_for(name)
        seeds = connect_to or nats_nodes
        nats_url = ",".join(n.url for n in seeds) if seeds else request.getfixturevalue("nats_url")
        settings = fresh_settings(tmp_path / f"data{len(made)}", nats_url, database_url,
                                  stream_replicas=min(3, len(nats_nodes or [None])))
        system = FaultSystem(settings, tmp_path / f"logs{len(made)}", list(nats_nodes or []), postgres)
        made.append(system)
        return system

    try:
        yield make
    finally:
        for system in made:
            system.kill_all()
            await system.close()
