"""Suite-wide fixtures: real NATS and PostgreSQL servers, started once, and only when a test asks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.embedded import EmbeddedNats, EmbeddedPostgres
from tests.support.postgres import temporary_postgres


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run the tests marked slow (long fault and soak runs)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without --run-slow, slow tests are deselected (not skipped: a skip would read as a defect)."""
    if config.getoption("--run-slow"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary directory for this test session."""
    return tmp_path_factory.mktemp("session")


@pytest.fixture(scope="session")
def nats_server(session_dir: Path) -> Iterator[EmbeddedNats]:
    """A JetStream nats-server shared by the session."""
    with EmbeddedNats(session_dir / "nats") as server:
        yield server


@pytest.fixture(scope="session")
def nats_url(nats_server: EmbeddedNats) -> str:
    """nats:// URL of the session's server."""
    return nats_server.url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server shared by the session (see temporary_postgres for where it lives)."""
    with temporary_postgres("tilts-pg-") as server:
        yield server


@pytest.fixture(scope="session")
def database_url(postgres_server: EmbeddedPostgres) -> str:
    """postgresql:// URL of the session's application database."""
    return postgres_server.url


@pytest.fixture
def unique_id() -> str:
    """A short id unique to this test, for stream names, subjects and rows."""
    return "t" + uuid.uuid4().hex[:10]
