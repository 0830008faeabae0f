"""The production NATS configs (deploy/nats/) on the real nats-server from the wheel.

1. `nats-server -t` accepts every node's config (placeholders filled with passwords made by
   deploy/make-secrets.sh, so the generator's output is proven parseable too).
2. One nats-server with deploy/nats/accounts.conf included verbatim: each service user can do what
   its service does, and no service user can delete, purge or rewrite a stream or delete a message
   — refused by the server's permissions (reported as a violation for that exact subject), and the
   stream and its messages are still there afterwards. The operator can delete (on a throwaway
   stream). Institutions' users see only their own notices.
3. The three real services run in-process under their own users (the permissions are complete).
4. The deploy nats.conf, rendered for loopback, forms a 3-node cluster on which the intake user
   creates the event stream at R3.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import nats.errors
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext, api
from nats.js.errors import APIError, NotFoundError

from services.intake.adapters.event_index import EventIndexProjection
from services.intake.bootstrap import create_app as create_intake
from services.notifications.adapters.fanout import FanOutProjection
from services.notifications.bootstrap import create_app as create_notifications
from services.reporting.bootstrap import create_app as create_reporting
from services.reporting.projections.projection import PROJECTION_NAME as REPORTING_PROJECTION
from shared.bus.connect import connect
from shared.bus.eventlog import Append, EventLog
from shared.bus.stream import StreamSpec, ensure_stream
from shared.bus.subjects import Subjects
from shared.config import Settings
from shared.embedded import EmbeddedNats, EmbeddedPostgres, free_port, nats_server_binary
from shared.roles import Role
from tests.support.harness import create_database, event, running
from tests.support.reporting import post_many, read_json
from tests.support.world import World

REPO = Path(__file__).resolve().parents[2]
NATS_DIR = REPO / "deploy" / "nats"
STREAM, PREFIX = "TILTS_EVENTS", "tilts.ev"
SERVICES = ("intake", "reporting", "notifications")
# Each service's durable consumer, as its code names it (accounts.conf grants exactly these).
CONSUMERS = {"intake": EventIndexProjection.name, "reporting": REPORTING_PROJECTION,
             "notifications": FanOutProjection.name}
NODES = ("nats1", "nats2", "nats3")
REFUSAL_TIMEOUT = 1.0  # a refused request is dropped by the server: no answer comes


# --- secrets and configs ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The variables deploy/make-secrets.sh writes to .env."""
    path = tmp_path_factory.mktemp("secrets") / ".env"
    subprocess.run(["sh", str(REPO / "deploy" / "make-secrets.sh"), str(path)], check=True, capture_output=True)
    assert path.stat().st_mode & 0o077 == 0, "the secrets file must be private"
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return dict(pairs)


def password(secrets: dict[str, str], user: str) -> str:
    return secrets[f"NATS_{user.upper().replace('-', '_')}_PASSWORD"]


def check_config(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(nats_server_binary()), "-t", "-c", str(config)], env=env, check=False,
                          capture_output=True, text=True, timeout=30)


def node_env(secrets: dict[str, str], node: str) -> dict[str, str]:
    """What docker-compose.yml gives a NATS node (its name, its route address, the passwords)."""
    return {"PATH": os.environ.get("PATH", ""), **nats_passwords(secrets),
            "NATS_SERVER_NAME": node, "NATS_CLUSTER_LISTEN": f"{node}-route:6222"}


def nats_passwords(secrets: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in secrets.items() if name.startswith("NATS_")}


def example_institutions() -> str:
    """institutions.conf with its commented example user switched on."""
    text = (NATS_DIR / "institutions.conf").read_text()
    lines = text.splitlines()
    start = lines.index("# users: [")
    end = lines.index("# ]", start)
    example = [line.removeprefix("# ").removeprefix("#") for line in lines[start:end + 1]]
    return "\n".join(example) + "\n"


# --- 1. every config is accepted ---------------------------------------------------------------

@pytest.mark.parametrize("node", NODES)
def test_nats_server_accepts_each_nodes_config(secrets: dict[str, str], node: str) -> None:
    result = check_config(NATS_DIR / "nats.conf", node_env(secrets, node))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "is valid" in result.stderr + result.stdout


def test_the_documented_institution_user_is_valid_config(secrets: dict[str, str], tmp_path: Path) -> None:
    for name in ("nats.conf", "accounts.conf"):
        shutil.copy(NATS_DIR / name, tmp_path / name)
    (tmp_path / "institutions.conf").write_text(example_institutions())
    env = {**node_env(secrets, "nats1"), "NATS_INSTITUTION_RIGA_SCHOOL_3_PASSWORD": "pRigaSchool3"}
    result = check_config(tmp_path / "nats.conf", env)
    assert result.returncode == 0, result.stderr + result.stdout


def test_a_missing_password_is_an_error_not_an_empty_password(secrets: dict[str, str]) -> None:
    env = node_env(secrets, "nats1")
    del env["NATS_REPORTING_PASSWORD"]
    result = check_config(NATS_DIR / "nats.conf", env)
    assert result.returncode != 0 and "NATS_REPORTING_PASSWORD" in result.stderr


# --- a nats-server with the deploy accounts ----------------------------------------------------

@contextmanager
def nats_environment(secrets: dict[str, str]) -> Iterator[None]:
    """The passwords in this process's environment while nats-server children are launched."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in nats_passwords(secrets).items():
            patch.setenv(name, value)
        yield


@contextmanager
def secured_nats(base: Path, secrets: dict[str, str], institutions: str | None = None) -> Iterator[EmbeddedNats]:
    """One JetStream server on loopback that includes deploy/nats/accounts.conf unchanged."""
    base.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(NATS_DIR / "accounts.conf", base / "accounts.conf")
    assert (base / "accounts.conf").read_bytes() == (NATS_DIR / "accounts.conf").read_bytes()
    (base / "institutions.conf").write_text(institutions or (NATS_DIR / "institutions.conf").read_text())
    server = EmbeddedNats(base, extra_config='include "accounts.conf"')
    with nats_environment(secrets):
        server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Conn:
    """A connection as one user, with the errors (permission violations) the server sent it."""

    user: str
    nc: NATS
    errors: list[str] = field(default_factory=list)

    def js(self, timeout: float = 5.0) -> JetStreamContext:
        return self.nc.jetstream(timeout=timeout)

    def violations(self) -> list[str]:
        return [e for e in self.errors if "permissions violation" in e.lower()]

    async def wait_violation(self, kind: str, subject: str, timeout: float = 5.0) -> None:
        """The server said: this user may not publish/subscribe to exactly this subject."""
        wanted = f'permissions violation for {kind} to "{subject}"'.lower()  # nats-py lowercases it
        deadline = time.monotonic() + timeout
        while not any(wanted in e.lower() for e in self.errors):
            assert time.monotonic() < deadline, f"no violation {wanted!r} for {self.user}; got {self.errors}"
            await asyncio.sleep(0.02)


@asynccontextmanager
async def connected(urls: str | list[str], user: str, secret: str) -> AsyncIterator[Conn]:
    servers = [urls] if isinstance(urls, str) else urls
    conn: Conn | None = None

    async def error_cb(error: Exception) -> None:
        assert conn is not None
        conn.errors.append(str(error))

    nc = await nats.connect([u.replace("nats://", f"nats://{user}:{secret}@", 1) for u in servers],
                            name=f"deploy-test-{user}", error_cb=error_cb, allow_reconnect=False,
                            connect_timeout=5)
    conn = Conn(user, nc)
    try:
        yield conn
    finally:
        await nc.close()


def server_violations(server: EmbeddedNats) -> list[str]:
    return [line for line in server.log_path.read_text(errors="replace").splitlines() if "Violation" in line]


async def refused(conn: Conn, subject: str, call: Callable[[], Awaitable[Any]]) -> None:
    """`call` fails, and it failed because the server refused `subject` to this user."""
    with pytest.raises((nats.errors.Error, asyncio.TimeoutError, APIError)):
        await call()
    await conn.wait_violation("publish", subject)


def scratch_config(name: str) -> api.StreamConfig:
    # No deny_delete/deny_purge: only the permissions stand between a user and this stream.
    return api.StreamConfig(name=name, subjects=[f"scratch.{name.lower()}.>"], storage=api.StorageType.FILE)


# --- 2. what each user may and may not do ------------------------------------------------------

async def _create_log_as_intake(url: str, secrets: dict[str, str]) -> tuple[int, int]:
    """As the intake does: ensure the stream, append one event, then an atomic batch of two."""
    async with connected(url, "intake", password(secrets, "intake")) as intake:
        js = intake.js()
        info = await ensure_stream(js, StreamSpec(STREAM, PREFIX, replicas=1))
        assert info.config.deny_delete and info.config.deny_purge
        log = EventLog(intake.nc, js, STREAM, Subjects(PREFIX))
        first = await log.append(Append("tilts.ev.riga.family.f1", b'{"n": 1}', "m-1", 0, "tilts.ev.*.family.f1"))
        batch = await log.append_atomic([
            Append("tilts.ev.riga.family.f2", b'{"n": 2}', "m-2", 0, "tilts.ev.*.family.f2"),
            Append("tilts.ev.riga.family.f1", b'{"n": 3}', "m-3", first.sequence, "tilts.ev.*.family.f1")])
        assert (first.sequence, batch) == (1, [2, 3])
        assert await log.locate("tilts.ev.*.family.f1") == "tilts.ev.riga.family.f1"  # a direct get
        assert await log.last_sequence() == 3
        assert intake.violations() == []
        return first.sequence, batch[-1]


async def _consume_as(url: str, secrets: dict[str, str], user: str, expected: int) -> None:
    """As the projections do: a fresh durable pull consumer, fetch, ack."""
    name = CONSUMERS[user]
    async with connected(url, user, password(secrets, user)) as conn:
        js = conn.js()
        assert (await js.stream_info(STREAM)).state.last_seq == expected
        try:
            await js.delete_consumer(STREAM, name)
        except NotFoundError:
            pass
        await js.add_consumer(STREAM, api.ConsumerConfig(
            durable_name=name, filter_subject=f"{PREFIX}.>", ack_policy=api.AckPolicy.ALL,
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=1))
        subscription = await js.pull_subscribe_bind(durable=name, stream=STREAM)
        messages = await subscription.fetch(expected, timeout=5)
        assert [m.metadata.sequence.stream for m in messages] == list(range(1, expected + 1))
        await messages[-1].ack_sync()  # acks all; waits for the server: a refused ack would time out
        info = await js.consumer_info(STREAM, name)
        assert info.ack_floor.stream_seq == expected and info.num_ack_pending == 0
        assert conn.violations() == []


async def test_each_service_user_does_what_its_service_does_and_nothing_is_refused(
        tmp_path: Path, secrets: dict[str, str]) -> None:
    with secured_nats(tmp_path / "nats", secrets) as server:
        _, last = await _create_log_as_intake(server.url, secrets)
        for user in SERVICES:
            await _consume_as(server.url, secrets, user, last)
        # Reporting's ephemeral audit reader: a named consumer, created and deleted.
        async with connected(server.url, "reporting", password(secrets, "reporting")) as reporting:
            js = reporting.js()
            await js.add_consumer(STREAM, api.ConsumerConfig(
                name="audit-0123456789ab", ack_policy=api.AckPolicy.NONE, mem_storage=True,
                deliver_policy=api.DeliverPolicy.ALL, inactive_threshold=60))
            assert await js.delete_consumer(STREAM, "audit-0123456789ab")
            assert reporting.violations() == []
        assert server_violations(server) == []


async def test_services_cannot_reach_beyond_their_part(tmp_path: Path, secrets: dict[str, str]) -> None:
    with secured_nats(tmp_path / "nats", secrets) as server:
        _, last = await _create_log_as_intake(server.url, secrets)
        async with connected(server.url, "reporting", password(secrets, "reporting")) as reporting, \
                connected(server.url, "notifications", password(secrets, "notifications")) as notifications, \
                connected(server.url, "intake", password(secrets, "intake")) as intake, \
                connected(server.url, "operator", password(secrets, "operator")) as operator:
            await asyncio.gather(
                # Only the intake appends to the log.
                refused(reporting, "tilts.ev.riga.family.f9",
                        lambda: reporting.js(REFUSAL_TIMEOUT).publish("tilts.ev.riga.family.f9", b"{}")),
                refused(notifications, "tilts.ev.riga.family.f9",
                        lambda: notifications.js(REFUSAL_TIMEOUT).publish("tilts.ev.riga.family.f9", b"{}")),
                # Only the intake creates the event stream; nobody but the operator creates others.
                refused(reporting, "$JS.API.STREAM.CREATE.OTHER",
                        lambda: reporting.js(REFUSAL_TIMEOUT).add_stream(name="OTHER", subjects=["other.>"])),
                refused(intake, "$JS.API.STREAM.CREATE.OTHER",
                        lambda: intake.js(REFUSAL_TIMEOUT).add_stream(name="OTHER", subjects=["other.>"])),
                # A service's durable consumer is its own.
                refused(notifications, "$JS.API.CONSUMER.DELETE.TILTS_EVENTS.intake-index",
                        lambda: notifications.js(REFUSAL_TIMEOUT).delete_consumer(STREAM, "intake-index")),
                refused(intake, "$JS.API.CONSUMER.DURABLE.CREATE.TILTS_EVENTS.reporting",
                        lambda: intake.js(REFUSAL_TIMEOUT).add_consumer(STREAM, durable_name="reporting")),
            )
            # Core subscriptions to the log (or anything but replies) are refused.
            await intake.nc.subscribe("tilts.ev.>")
            await intake.wait_violation("subscription", "tilts.ev.>")
            js = operator.js()
            assert (await js.stream_info(STREAM)).state.last_seq == last
            assert [s.config.name for s in await js.streams_info()] == [STREAM]
            assert operator.violations() == []


async def _protected_state(js: JetStreamContext, stream: str) -> tuple[int, int, bytes, bool, bool]:
    info = await js.stream_info(stream)
    first = await js.get_msg(stream, 1)
    return info.state.messages, info.state.last_seq, first.data or b"", bool(info.config.deny_delete), \
        bool(info.config.deny_purge)


def _destructive_calls(conn: Conn, js: JetStreamContext, stream: str, weakened: api.StreamConfig
                       ) -> dict[str, Callable[[], Awaitable[Any]]]:
    """Each way to lose or rewrite a stream's record, by the API subject it uses."""
    return {
        f"$JS.API.STREAM.DELETE.{stream}": lambda: js.delete_stream(stream),
        f"$JS.API.STREAM.PURGE.{stream}": lambda: js.purge_stream(stream),
        # (delete_msg ignores the context's timeout)
        f"$JS.API.STREAM.MSG.DELETE.{stream}": lambda: asyncio.wait_for(js.delete_msg(stream, 1), REFUSAL_TIMEOUT),
        f"$JS.API.STREAM.UPDATE.{stream}": lambda: js.update_stream(weakened),
        f"$JS.API.STREAM.SNAPSHOT.{stream}": lambda: conn.nc.request(f"$JS.API.STREAM.SNAPSHOT.{stream}", b"{}",
                                                                     timeout=REFUSAL_TIMEOUT),
    }


@pytest.mark.parametrize("user", SERVICES)
async def test_no_service_user_may_delete_purge_or_rewrite_a_stream(
        tmp_path: Path, secrets: dict[str, str], user: str) -> None:
    scratch = f"SCRATCH_{user.upper()}"
    with secured_nats(tmp_path / "nats", secrets) as server:
        await _create_log_as_intake(server.url, secrets)
        async with connected(server.url, "operator", password(secrets, "operator")) as operator:
            admin = operator.js()
            await admin.add_stream(scratch_config(scratch))
            for n in range(3):
                await admin.publish(f"scratch.{scratch.lower()}.m{n}", f"m{n}".encode())
            before = {s: await _protected_state(admin, s) for s in (STREAM, scratch)}

            refused_subjects: set[str] = set()
            async with connected(server.url, user, password(secrets, user)) as service:
                js = service.js(REFUSAL_TIMEOUT)
                for stream in (STREAM, scratch):
                    weakened = (await admin.stream_info(stream)).config
                    weakened.deny_delete = weakened.deny_purge = False
                    weakened.max_msgs = 1
                    attempts = _destructive_calls(service, js, stream, weakened)
                    await asyncio.gather(*(refused(service, subject, call) for subject, call in attempts.items()))
                    refused_subjects.update(attempts)

            # Nothing happened: both streams, all their messages, their settings.
            after = {s: await _protected_state(admin, s) for s in (STREAM, scratch)}
            assert after == before
            assert before[STREAM][3:] == (True, True) and before[scratch][3:] == (False, False)

            # The operator may: on the throwaway stream, every one of those works.
            assert await admin.delete_msg(scratch, 1)
            await admin.purge_stream(scratch)
            assert (await admin.stream_info(scratch)).state.messages == 0
            assert await admin.delete_stream(scratch)
            with pytest.raises(NotFoundError):
                await admin.stream_info(scratch)
            # The event stream refuses even the operator a purge or a message deletion (its own
            # deny_purge/deny_delete settings: the second line of defence).
            with pytest.raises(APIError):
                await admin.purge_stream(STREAM)
            with pytest.raises(APIError):
                await admin.delete_msg(STREAM, 1)
            assert await _protected_state(admin, STREAM) == before[STREAM]
            assert operator.violations() == []
        # The server's own log names each refusal: this user, exactly these subjects.
        refusals = server_violations(server)
        assert all(f'user:{user}"' in line and "Publish Violation" in line for line in refusals), refusals
        assert {subject for line in refusals for subject in re.findall(r'Subject "([^"]+)"', line)} \
            == refused_subjects


async def test_an_institution_sees_only_its_own_notices(tmp_path: Path, secrets: dict[str, str]) -> None:
    institutions = """users: [
  { user: "inst-a", password: "pInstA1", permissions: {
      publish: { deny: [">"] }, subscribe: { allow: ["tilts.notify.inst-a.>"] } } }
  { user: "inst-b", password: "pInstB1", permissions: {
      publish: { deny: [">"] }, subscribe: { allow: ["tilts.notify.inst-b.>"] } } }
]
"""
    with secured_nats(tmp_path / "nats", secrets, institutions) as server:
        await _create_log_as_intake(server.url, secrets)
        async with connected(server.url, "inst-a", "pInstA1") as a, \
                connected(server.url, "notifications", password(secrets, "notifications")) as notifications:
            own = await a.nc.subscribe("tilts.notify.inst-a.>")
            await a.nc.flush()
            received: list[dict[str, str]] = []
            deadline = time.monotonic() + 10
            while not received:  # (publish until the first arrives: interest may take a moment to reach TILTS)
                assert time.monotonic() < deadline, "inst-a never got its notice"
                for institution in ("inst-b", "inst-a"):
                    await notifications.nc.publish(f"tilts.notify.{institution}.cooperation.recorded",
                                                   json.dumps({"institution": institution}).encode())
                await notifications.nc.flush()
                try:
                    while True:
                        received.append(json.loads((await own.next_msg(timeout=0.3)).data))
                except nats.errors.TimeoutError:
                    pass
            assert {r["institution"] for r in received} == {"inst-a"}
            # Nothing else: not another institution's notices, not the log, no publishing, no JetStream.
            for subject in ("tilts.notify.inst-b.>", "tilts.notify.>", "tilts.ev.>", "_INBOX.>"):
                await a.nc.subscribe(subject)
                await a.wait_violation("subscription", subject)
            await a.nc.publish("tilts.notify.inst-a.cooperation.acknowledged", b"{}")
            await a.wait_violation("publish", "tilts.notify.inst-a.cooperation.acknowledged")
            await a.nc.publish("$JS.API.STREAM.INFO.TILTS_EVENTS", b"")
            await a.wait_violation("publish", "$JS.API.STREAM.INFO.TILTS_EVENTS")
            assert notifications.violations() == []


# --- 3. the real services under their own users -------------------------------------------------

async def test_the_three_services_run_under_their_own_nats_users(
        tmp_path: Path, secrets: dict[str, str], postgres_server: EmbeddedPostgres) -> None:
    database = f"tilts_deploy_{uuid.uuid4().hex[:8]}"
    await create_database(postgres_server.url_for("postgres"), database)
    with secured_nats(tmp_path / "nats", secrets) as server:
        def settings(user: str) -> Settings:
            url = f"nats://{user}:{password(secrets, user)}@{server.host}:{server.port}"
            # The production stream and subjects: the permissions name them.
            return Settings(data_dir=tmp_path / "data", nats_url=url, database_url=postgres_server.url_for(database),
                            stream_name=STREAM, subject_prefix=PREFIX, log_format="console",
                            notary_interval_seconds=0.2)

        async with running(create_intake, settings("intake")) as intake, \
                running(create_reporting, settings("reporting")) as reporting, \
                running(create_notifications, settings("notifications")) as notifications:
            world = await World.create(intake, uuid.uuid4().hex[:8])
            await world.cooperation("co1")
            last = await post_many(intake, world.as_mediator, [event("tilts.cooperation.recorded", {
                "cooperation_id": world.id(f"co{n}"), "institution_id": world.institution,
                "contact_id": world.contacts[0], "domain": "education", "channel": "phone",
                "purpose": "kavējumi"}) for n in (2, 3)])

            ledger = await read_json(reporting, "/v1/cooperations", world.admin, after=last,
                                     institution_id=world.institution)
            assert len(ledger["items"]) == 3
            audit = await reporting.client.get("/v1/audit/events", headers=reporting.auth(Role.AUDITOR, "aud-1"))
            assert audit.status_code == 200 and len(audit.text.splitlines()) == last
            assert await notifications.app.state.parts.fanout.wait_for(last, 30)
            stored = await intake.client.get(f"/v1/events/{json.loads(audit.text.splitlines()[0])['id']}",
                                             headers=world.admin)
            assert stored.status_code == 200, stored.text
            if getattr(intake.settings, "notary_enabled", False):
                await _wait_for_checkpoint(server, secrets)  # the notary writes as the intake's user too
            for harness in (intake, reporting, notifications):
                ready = await harness.client.get("/readyz")
                assert ready.status_code == 200, ready.text
        assert server_violations(server) == []


async def _wait_for_checkpoint(server: EmbeddedNats, secrets: dict[str, str]) -> None:
    async with connected(server.url, "operator", password(secrets, "operator")) as operator:
        js = operator.js()
        deadline = time.monotonic() + 20
        while True:
            try:
                if (await js.stream_info(f"{STREAM}_CHECKPOINTS")).state.last_seq >= 1:
                    return
            except NotFoundError:
                pass
            assert time.monotonic() < deadline, "the notary wrote no checkpoint"
            await asyncio.sleep(0.1)


# --- 4. the cluster config forms a cluster; the stream is R3 -----------------------------------

class DeployNode(EmbeddedNats):
    """A node running deploy/nats/nats.conf, its placeholders and addresses rendered for loopback."""

    def __init__(self, store_dir: Path, name: str, cluster_port: int, route_ports: dict[str, int]) -> None:
        super().__init__(store_dir, server_name=name)
        self.cluster_port = cluster_port
        self.route_ports = route_ports

    def config_text(self) -> str:
        text = (NATS_DIR / "nats.conf").read_text()
        replacements = {
            "$NATS_SERVER_NAME": json.dumps(self.server_name),
            "$NATS_CLUSTER_LISTEN": json.dumps(f"127.0.0.1:{self.cluster_port}"),
            '"0.0.0.0:4222"': json.dumps(f"{self.host}:{self.port}"),
            '"0.0.0.0:8222"': json.dumps(f"{self.host}:{self.monitor_port}"),
            '"/data/jetstream"': json.dumps(str(self.store_dir / "jetstream")),
            **{f'"nats-route://{node}-route:6222"': json.dumps(f"nats-route://127.0.0.1:{port}")
               for node, port in self.route_ports.items()},
        }
        for old, new in replacements.items():
            assert text.count(old) == 1, f"{old} should appear once in deploy/nats/nats.conf"
            text = text.replace(old, new)
        return text


def _meta_leader(nodes: list[DeployNode]) -> bool:
    leaders = set()
    for node in nodes:
        try:
            with urllib.request.urlopen(f"{node.monitor_url}/jsz", timeout=2) as answer:
                meta = json.load(answer).get("meta_cluster") or {}
        except OSError:
            return False
        leaders.add(meta.get("leader"))
        if meta.get("cluster_size") != len(nodes):
            return False
    return len(leaders) == 1 and None not in leaders and "" not in leaders


async def test_the_deploy_cluster_forms_and_takes_the_event_stream_at_r3(
        tmp_path: Path, secrets: dict[str, str]) -> None:
    route_ports = {node: free_port() for node in NODES}
    nodes = [DeployNode(tmp_path / node, node, route_ports[node], route_ports) for node in NODES]
    for node in nodes:
        node.store_dir.mkdir(parents=True)
        for name in ("accounts.conf", "institutions.conf"):
            shutil.copyfile(NATS_DIR / name, node.store_dir / name)
    try:
        with nats_environment(secrets):
            for node in nodes:  # all first: a clustered server's JetStream waits for its peers
                node.launch()
        deadline = time.monotonic() + 60
        for node in nodes:
            node._wait_healthy(deadline)
        while not _meta_leader(nodes):
            assert time.monotonic() < deadline, "no JetStream meta leader"
            await asyncio.sleep(0.2)

        urls = [node.url for node in nodes]
        # The services' own connect() with a URL of the form docker-compose.yml gives them:
        # every node, each with the service's user.
        compose_url = ",".join(f"nats://intake:{password(secrets, 'intake')}@{node.host}:{node.port}"
                               for node in nodes)
        nc = await connect(compose_url, "tilts-intake")
        try:
            js = nc.jetstream(timeout=10)
            info = await ensure_stream(js, StreamSpec(STREAM, PREFIX, replicas=3))
            assert info.config.num_replicas == 3
            log = EventLog(nc, js, STREAM, Subjects(PREFIX))
            first = await log.append(Append("tilts.ev.riga.family.f1", b"{}", "m-1", 0, "tilts.ev.*.family.f1"))
            batch = await log.append_atomic([
                Append("tilts.ev.riga.family.f1", b"{}", "m-2", first.sequence, "tilts.ev.*.family.f1")])
            assert (first.sequence, batch) == (1, [2])
            info = await js.stream_info(STREAM)
            assert info.cluster is not None and len(info.cluster.replicas or []) == 2
        finally:
            await nc.close()
        async with connected(urls, "intake", password(secrets, "intake")) as intake:
            await refused(intake, f"$JS.API.STREAM.DELETE.{STREAM}",
                          lambda: intake.js(REFUSAL_TIMEOUT).delete_stream(STREAM))
        await _consume_as(urls[2], secrets, "reporting", 2)
    finally:
        for node in nodes:
            node.stop()
