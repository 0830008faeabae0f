"""A whole Tilts system for fault tests, and the checks every fault test ends with.

Each service runs as `tilts serve <name>` in its own process (so a SIGKILL is a real crash) on
the test's own stream, database and data dir; the servers a test breaks are its own too. The
checks: the whole log counted by id against what the API acknowledged, every projection caught
up with the log, and the reporting read models equal to a rebuild from sequence 1.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import nats.errors
from nats.aio.client import Client as NATS

from shared.auth.tokens import TokenAuthority
from shared.bus.connect import connect
from shared.bus.eventlog import EventLog
from shared.bus.subjects import Subjects
from shared.config import Settings
from shared.crypto.master_key import load_master_key
from shared.db.pool import create_pool
from shared.embedded import EmbeddedNats, EmbeddedPostgres, process
from shared.roles import Role
from services.intake.adapters.event_index import SCHEMA as INDEX_SCHEMA
from services.intake.adapters.event_index import EventIndexProjection
from services.notifications.adapters.fanout import FanOutProjection
from services.notifications.adapters.schema import SCHEMA as NOTIFY_SCHEMA
from services.reporting.projections.projection import PROJECTION_NAME
from services.reporting.projections.schema import SCHEMA as REPORTING_SCHEMA
from services.reporting.rebuild.rebuild import RebuildOutcome, rebuild_reporting

from .inboxes import WebhookReceiver, eventually
from .load import Acknowledgements
from .log_count import LogCount, count_log, stored_sequences
from .service_process import ServiceProcess

# The projection each service runs: (schema, name) of its position row.
PROJECTIONS = {"intake": (INDEX_SCHEMA, EventIndexProjection.name),
               "reporting": (REPORTING_SCHEMA, PROJECTION_NAME),
               "notifications": (NOTIFY_SCHEMA, FanOutProjection.name)}

# Quick notification retries, so a test sees a delivery's second attempt in seconds.
FAST_NOTIFY = {"TILTS_NOTIFY_BACKOFF_BASE_SECONDS": "0.2", "TILTS_NOTIFY_BACKOFF_CAP_SECONDS": "2",
               "TILTS_NOTIFY_TIMEOUT_SECONDS": "5", "TILTS_NOTIFY_POLL_SECONDS": "1"}


class _Silent:
    """A rebuild's progress, not shown."""

    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, completed: int) -> None:
        pass


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a service process: this system's settings, nothing inherited from TILTS_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILTS_")}
    env.update({"TILTS_DATA_DIR": str(settings.data_dir), "TILTS_NATS_URL": settings.nats_url or "",
                "TILTS_DATABASE_URL": settings.database_url or "", "TILTS_STREAM_NAME": settings.stream_name,
                "TILTS_SUBJECT_PREFIX": settings.subject_prefix,
                "TILTS_STREAM_REPLICAS": str(settings.stream_replicas),
                "TILTS_RATE_LIMIT_PER_SECOND": "0",  # phones re-send at will here; limits have their own tests
                "TILTS_NOTIFY_ALLOW_PRIVATE_TARGETS": "true", "TILTS_LOG_FORMAT": "json", "TILTS_LOG_LEVEL": "info",
                **FAST_NOTIFY, **extra})
    return env


@dataclass(frozen=True)
class Verdict:
    """What the checks at the end of a fault test found."""

    head: int  # the log's last sequence
    counted: LogCount
    stored: dict[str, list[int]]  # event id -> sequences, the whole log
    rebuilt: RebuildOutcome
    catch_up_seconds: float  # from the end of the load until every projection had the whole log
    unhandled: list[str] = field(default_factory=list)  # the services' logged 500s, to explain a failure

    @property
    def reports_match_a_rebuild(self) -> bool:
        """Every report of the live read models equals the one rebuilt from sequence 1, as of the log's end."""
        return self.rebuilt.matched and self.rebuilt.compared_at == self.head and self.rebuilt.reports > 0

    def assert_nothing_lost_or_doubled(self, acks: Acknowledgements, webhook_ids: Iterable[str] | None = None) -> None:
        """The checks every fault test ends with: each acknowledged event in the log exactly once, no
        phone left with a problem, reports equal to a rebuild, and no webhook for an event not stored."""
        assert self.counted.ok, self.counted
        assert not acks.problems(), (acks.problems(), self.unhandled)
        assert self.reports_match_a_rebuild, self.rebuilt
        if webhook_ids is not None:
            assert set(webhook_ids) <= set(self.stored), "a webhook for an event that is not in the log"


@dataclass
class FaultSystem:
    """Services as processes on one stream and database, plus the servers the test may break."""

    settings: Settings
    logs: Path
    nats_nodes: list[EmbeddedNats] = field(default_factory=list)  # own nodes, if the test kills them
    postgres: EmbeddedPostgres | None = None  # own server, if the test restarts it
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    _nc: NATS | None = None

    def __post_init__(self) -> None:
        self.tokens = TokenAuthority.from_settings(self.settings)  # keys exist before services race for them
        load_master_key(self.settings)

    def token(self, role: Role | str, subject: str) -> str:
        return self.tokens.mint(Role(role), subject)

    @property
    def admin(self) -> str:
        return self.token(Role.ADMIN, "fault-admin")

    def url(self, name: str) -> str:
        return self.services[name].url

    # --- services -----------------------------------------------------------------------------

    async def start(self, *names: str, **extra_env: str) -> float:
        """Start services as processes, together, each on the port it had before if it ran before;
        the seconds until all were ready."""
        started = time.monotonic()
        for name in names:
            if name not in self.services:
                self.services[name] = ServiceProcess(name, {}, self.logs / f"{name}.log")
            self.services[name].env = service_env(self.settings, **extra_env)
            self.services[name].launch()
        await asyncio.gather(*(self.services[name].wait_ready() for name in names))
        return time.monotonic() - started

    def kill_all(self) -> None:
        """SIGKILL every service process (the test is over: nothing of theirs is kept); idempotent."""
        for service in self.services.values():
            service.kill()

    def log_tails(self, lines: int = 15) -> str:
        return "\n".join(f"--- {name}:\n{process.log_tail(s.log_path, lines)}" for name, s in self.services.items())

    # --- the log ------------------------------------------------------------------------------

    async def nats(self) -> NATS:
        if self._nc is None or self._nc.is_closed:
            self._nc = await connect(self.settings.nats_url or "", "tilts-fault-test")
        return self._nc

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()

    async def log_head(self) -> int:
        """The stream's last sequence (retried while the log is failing over)."""
        for _ in range(100):
            try:
                return (await (await self.nats()).jetstream(timeout=5).stream_info(self.settings.stream_name)
                        ).state.last_seq
            except (nats.errors.Error, asyncio.TimeoutError):  # an election or a reconnect in progress
                await asyncio.sleep(0.2)
        raise TimeoutError("the stream did not answer for 20 s")

    async def stream_leader(self, timeout: float = 30) -> EmbeddedNats:
        """The node leading the stream now, once every replica is current."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                info = await (await self.nats()).jetstream(timeout=5).stream_info(self.settings.stream_name)
            except (nats.errors.Error, asyncio.TimeoutError):
                await asyncio.sleep(0.2)
                continue
            cluster = info.cluster
            replicas = (cluster.replicas or []) if cluster else []
            if cluster and cluster.leader and all(r.current and not r.offline for r in replicas) \
                    and len(replicas) == len(self.nats_nodes) - 1:
                return next(node for node in self.nats_nodes if node.server_name == cluster.leader)
            await asyncio.sleep(0.1)
        raise TimeoutError(f"no stream leader with every replica current within {timeout} s")

    async def aggregate_stored(self, municipality: str, aggregate_type: str, aggregate_id: str) -> bool:
        """Whether any event of this aggregate is in the log yet."""
        nc = await self.nats()
        log = EventLog(nc, nc.jetstream(timeout=5), self.settings.stream_name, Subjects(self.settings.subject_prefix))
        return await log.locate(log.subjects.aggregate(municipality, aggregate_type, aggregate_id)) is not None

    async def count(self, acks: Acknowledgements, timeout: float = 60) -> tuple[LogCount, dict[str, list[int]]]:
        """The whole log counted by id against the acknowledgements; and what it holds.

        A cluster whose nodes were just restarted can take a while to answer a consumer create
        (seen once in CI on the 2-core machine: 10 s); the count is retried until `timeout`.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                stored = await stored_sequences(self.settings.nats_url or "", self.settings.stream_name)
                return count_log(acks.sequences, stored), stored
            except asyncio.TimeoutError:  # nats-py's TimeoutError is one too
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1)

    # --- the read models ----------------------------------------------------------------------

    async def _fetch_value(self, query: str, *args: object) -> Any:
        """One value from the system's database, or None while PostgreSQL does not answer."""
        try:
            connection = await asyncpg.connect(self.settings.database_url, timeout=2)
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
            return None
        try:
            return await connection.fetchval(query, *args)
        except (OSError, asyncpg.PostgresError):
            return None
        finally:
            await connection.close()

    async def position(self, service: str) -> int | None:
        """Where a service's projection stands in PostgreSQL; None while PostgreSQL does not answer."""
        schema, name = PROJECTIONS[service]
        return await self._fetch_value(f'SELECT position FROM "{schema}".projection_positions WHERE name = $1', name)

    async def open_deliveries(self) -> int | None:
        """Deliveries the notifications service still has to make (None while PostgreSQL does not answer)."""
        return await self._fetch_value(
            f"SELECT count(*) FROM {NOTIFY_SCHEMA}.deliveries WHERE status IN ('pending', 'failed')")

    async def all_delivered(self, receiver: WebhookReceiver, event_ids: set[str], timeout: float = 120) -> float:
        """Wait until every event id reached the receiver and the service has no delivery left open;
        the seconds it took."""
        started = time.monotonic()

        async def done() -> bool:
            return event_ids <= set(receiver.ids()) and await self.open_deliveries() == 0
        await eventually(done, timeout, 0.2, what=f"{len(event_ids)} events delivered and recorded")
        return time.monotonic() - started

    async def caught_up(self, services: Iterable[str], sequence: int, timeout: float = 120) -> float:
        """Wait until every named service's projection has reached `sequence`; the seconds it took."""
        started = time.monotonic()
        for service in services:
            while (await self.position(service) or 0) < sequence:
                if time.monotonic() - started > timeout:
                    raise AssertionError(f"{service} stuck at {await self.position(service)} of {sequence} "
                                         f"after {timeout} s\n{self.log_tails()}")
                await asyncio.sleep(0.1)
        return time.monotonic() - started

    async def settle(self, acks: Acknowledgements, projections: Iterable[str] = ("intake", "reporting")) -> Verdict:
        """Once the load has stopped: wait for the projections, count the log, rebuild the reports."""
        head = await self.log_head()
        catch_up = await self.caught_up(projections, head)
        counted, stored = await self.count(acks)
        return Verdict(head, counted, stored, await self.rebuild(), catch_up, _unhandled(self.logs))

    async def rebuild(self) -> RebuildOutcome:
        """Rebuild the reporting read models from sequence 1 into a fresh schema and compare every report."""
        nc = await connect(self.settings.nats_url or "", "tilts-fault-rebuild")
        pool = await create_pool(self.settings.database_url or "", min_size=1, max_size=6)
        try:
            log = EventLog(nc, nc.jetstream(timeout=10), self.settings.stream_name,
                           Subjects(self.settings.subject_prefix))
            return await rebuild_reporting(pool, log, _Silent(), swap=False)
        finally:
            await pool.close()
            await nc.close()


def _unhandled(logs: Path) -> list[str]:
    """Every `http.unhandled` line the services logged (with the exception they carry)."""
    found = []
    for path in sorted(logs.glob("*.log")):
        found += [f"{path.name}: {line[:4000]}" for line in path.read_text(errors="replace").splitlines()
                  if "http.unhandled" in line]
    return found


MakeSystem = Callable[..., Awaitable[FaultSystem]]  # the `systems` fixture of tests/faults


def report(scenario: str, **figures: Any) -> None:
    """One line of measured figures for the operations guide (shown with `pytest -s`)."""
    print(f"\nFAULT-RESULT {json.dumps({'scenario': scenario, **figures}, default=str)}")
