"""Intake benchmark: `uv run --group bench python -m bench.intake`.

Measures, on the same servers in the same run:
- single-event POST latency (p50/p99) and events/s at 1, 16 and 64 concurrent clients;
- batch intake events/s (500 events per request);
- the intake process's RSS;
- the raw ceiling: nats-py pipelined publish_async of the same payloads to a stream of the same
  kind (file storage, fsync always), sequential publish, and 16 concurrent publishers with the
  intake's headers (their p99 is the floor under the 16-client p99 on these servers);
- the peer: the `eventsourcing` library's PostgreSQL recorder saving one event per transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlparse

import asyncpg
import httpx
import nats
from nats.js import JetStreamContext, api

from shared.auth.tokens import TokenAuthority
from shared.config import Settings
from shared.roles import Role

from .common import RawClient, ServiceProcess, dumps, print_table, servers, service, summarise

NOW = datetime.now(UTC).isoformat()
CONCURRENT_PUBLISHERS = 16  # as many as the 16-client measurement has requests in flight


def cooperation(municipality: str, institution: str, contact: str) -> dict:
    unique = uuid.uuid4().hex
    return {"specversion": "1.0", "id": f"b-{unique}", "source": "bench/phone", "type": "tilts.cooperation.recorded",
            "time": NOW, "data": {"cooperation_id": f"co-{unique}", "institution_id": institution,
                                  "contact_id": contact, "domain": "education", "channel": "meeting",
                                  "purpose": "Skolas kavējumu iemeslu noskaidrošana ar sociālo pedagogu",
                                  "municipality_id": municipality}}


async def setup_world(url: str, admin: str) -> tuple[str, str, str]:
    municipality, institution, contact = "bench-m", "bench-school", "bench-contact"
    events = [
        {"type": "tilts.municipality.registered", "data": {"municipality_id": municipality, "name": "Jelgava"}},
        {"type": "tilts.institution.registered", "data": {"institution_id": institution, "municipality_id": municipality,
                                                          "name": "Jelgavas Ozolu pamatskola", "kind": "school"}},
        {"type": "tilts.institution.contact_added", "data": {"institution_id": institution, "contact_id": contact,
                                                             "name": "Ilze Kalniņa", "role": "sociālā pedagoģe"}},
        {"type": "tilts.mediator.registered", "data": {"mediator_id": "bench-med", "display_name": "Marta Ozoliņa",
                                                       "municipality_ids": [municipality]}},
    ]
    async with httpx.AsyncClient() as client:
        for number, partial in enumerate(events):
            body = {"specversion": "1.0", "id": f"setup-{number}", "source": "bench", "time": NOW, **partial}
            answer = await client.post(f"{url}/v1/events", json=body, headers={"Authorization": f"Bearer {admin}"})
            assert answer.status_code in (200, 201), answer.text
    return municipality, institution, contact


async def single_posts(intake: ServiceProcess, token: str, world: tuple[str, str, str], clients: int,
                       total: int) -> dict:
    host, port = urlparse(intake.url).hostname, urlparse(intake.url).port
    requests = [RawClient.encode("POST", "/v1/events", dumps(cooperation(*world)), token) for _ in range(total)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker(mine: list[bytes]) -> None:
        async with RawClient(host, port) as client:
            for request in mine:
                started = time.perf_counter()
                status, _ = await client.send(request)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(requests[i::clients]) for i in range(clients)))
    elapsed = time.perf_counter() - started
    assert statuses == {201: total}, statuses
    return {"events_per_s": total / elapsed, **summarise(latencies)}


async def batch_posts(intake: ServiceProcess, token: str, world: tuple[str, str, str], clients: int,
                      batches: int, size: int = 500) -> dict:
    host, port = urlparse(intake.url).hostname, urlparse(intake.url).port
    requests = [RawClient.encode("POST", "/v1/events:batch", dumps({"events": [cooperation(*world) for _ in range(size)]}),
                                 token) for _ in range(batches)]
    created = 0

    async def worker(mine: list[bytes]) -> None:
        nonlocal created
        async with RawClient(host, port) as client:
            for request in mine:
                status, body = await client.send(request)
                assert status == 200, body[:300]
                created += body.count(b'"status":"created"')

    started = time.perf_counter()
    await asyncio.gather(*(worker(requests[i::clients]) for i in range(clients)))
    elapsed = time.perf_counter() - started
    assert created == batches * size, created
    return {"events_per_s": created / elapsed}


async def raw_ceiling(nats_url: str, payload_size: int, total: int) -> dict:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    name = f"RAW_{uuid.uuid4().hex[:8]}"
    await js.add_stream(api.StreamConfig(name=name, subjects=[f"raw{name}.>"], storage=api.StorageType.FILE,
                                         deny_delete=True, deny_purge=True, allow_direct=True, allow_atomic=True))
    payload = b"x" * payload_size
    started = time.perf_counter()
    futures = [await js.publish_async(f"raw{name}.m.cooperation.c{i}", payload, wait_stall=10,
                                      headers={"Nats-Msg-Id": f"p{i}"}) for i in range(total)]
    await asyncio.gather(*futures)
    pipelined = total / (time.perf_counter() - started)
    started = time.perf_counter()
    sequential_total = min(total, 2000)
    for i in range(sequential_total):
        await js.publish(f"raw{name}.m.cooperation.s{i}", payload, headers={"Nats-Msg-Id": f"s{i}"})
    sequential = sequential_total / (time.perf_counter() - started)
    concurrent = await _raw_concurrent(js, f"raw{name}", payload, CONCURRENT_PUBLISHERS, total)
    await nc.close()
    return {"pipelined_per_s": pipelined, "sequential_per_s": sequential, "concurrent": concurrent}


async def _raw_concurrent(js: JetStreamContext, prefix: str, payload: bytes, publishers: int, total: int) -> dict:
    """`publishers` publishers, each waiting for its ack before the next, with the intake's headers:
    the latency floor that 16 clients over HTTP cannot go below on these servers."""
    latencies: list[float] = []

    async def publisher(first: int) -> None:
        for i in range(first, total, publishers):
            headers = {"Nats-Msg-Id": f"k{i}", "Nats-Expected-Last-Subject-Sequence": "0",
                       "Nats-Expected-Last-Subject-Sequence-Subject": f"{prefix}.*.cooperation.k{i}"}
            started = time.perf_counter()
            await js.publish(f"{prefix}.m.cooperation.k{i}", payload, headers=headers)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(publisher(first) for first in range(publishers)))
    return {"events_per_s": total / (time.perf_counter() - started), **summarise(latencies)}


def eventsourcing_peer(postgres_url: str, total: int) -> dict:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Cooperation(Aggregate):
        @event("Recorded")
        def __init__(self, institution_id: str, contact_id: str, purpose: str) -> None:
            self.institution_id, self.contact_id, self.purpose = institution_id, contact_id, purpose

    parsed = urlparse(postgres_url)
    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": "eventsourcing",
                           "POSTGRES_HOST": parsed.hostname, "POSTGRES_PORT": str(parsed.port),
                           "POSTGRES_USER": parsed.username, "POSTGRES_PASSWORD": parsed.password,
                           "CREATE_TABLE": "y"})
    for _ in range(50):  # warm up
        app.save(Cooperation("school", "contact", "Skolas kavējumu iemeslu noskaidrošana"))
    started = time.perf_counter()
    for _ in range(total):
        app.save(Cooperation("school", "contact", "Skolas kavējumu iemeslu noskaidrošana ar sociālo pedagogu"))
    return {"events_per_s": total / (time.perf_counter() - started)}


class RssSampler:
    def __init__(self, service_: ServiceProcess) -> None:
        self.service, self.peak = service_, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self.service.rss_mb())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def ok(passed: bool) -> str:
    return "[green]met[/]" if passed else "[red]missed[/]"


async def main(args: argparse.Namespace) -> None:
    with servers() as s:
        admin_db = await asyncpg.connect(s.postgres.url_for("postgres"))
        await admin_db.execute("CREATE DATABASE eventsourcing")
        await admin_db.close()
        settings = Settings(data_dir=s.base / "data", nats_url=s.nats.url, database_url=s.postgres.url)
        tokens = TokenAuthority.from_settings(settings)
        admin = tokens.mint(Role.ADMIN, "bench-admin")
        mediator = tokens.mint(Role.MEDIATOR, "bench-med")
        env = {"TILTS_DATA_DIR": str(settings.data_dir), "TILTS_NATS_URL": s.nats.url,
               "TILTS_DATABASE_URL": s.postgres.url}
        results: dict[str, dict] = {}
        with service("intake", env, s.base) as intake, RssSampler(intake) as rss:
            world = await setup_world(intake.url, admin)
            await single_posts(intake, mediator, world, 8, 400)  # warm up
            for clients, total in ((1, args.events // 4), (16, args.events), (64, args.events)):
                results[f"single_{clients}"] = await single_posts(intake, mediator, world, clients, total)
            results["batch_1"] = await batch_posts(intake, mediator, world, 1, args.batches)
            results["batch_4"] = await batch_posts(intake, mediator, world, 4, args.batches)
            payload_size = len(dumps(cooperation(*world))) + 600  # the stored envelope adds ~600 bytes
        results["raw"] = await raw_ceiling(s.nats.url, payload_size, args.events * 2)
        results["peer"] = await asyncio.to_thread(eventsourcing_peer, s.postgres.url, args.peer_events)

    raw, peer = results["raw"]["pipelined_per_s"], results["peer"]["events_per_s"]
    best_batch = max(results["batch_1"]["events_per_s"], results["batch_4"]["events_per_s"])
    s16, concurrent = results["single_16"], results["raw"]["concurrent"]
    rows = []
    for clients in (1, 16, 64):
        r = results[f"single_{clients}"]
        rows.append((f"POST /v1/events, {clients} client(s)",
                     f"{r['events_per_s']:,.0f} ev/s · p50 {r['p50_ms']:.1f} ms · p99 {r['p99_ms']:.1f} ms", "", ""))
    rows += [
        ("  16 clients vs peer", f"{s16['events_per_s'] / peer:.2f}× the peer", "≥ 2×", ok(s16["events_per_s"] >= 2 * peer)),
        ("  16 clients p99", f"{s16['p99_ms']:.1f} ms", "< 25 ms", ok(s16["p99_ms"] < 25)),
        ("POST /v1/events:batch (500/request), 1 client", f"{results['batch_1']['events_per_s']:,.0f} ev/s", "", ""),
        ("POST /v1/events:batch (500/request), 4 clients", f"{results['batch_4']['events_per_s']:,.0f} ev/s", "", ""),
        ("  batch vs raw ceiling", f"{best_batch / raw:.0%} of raw pipelined", "≥ 50%", ok(best_batch >= 0.5 * raw)),
        ("intake RSS (peak)", f"{rss.peak:.0f} MB", "< 200 MB", ok(rss.peak < 200)),
        ("raw ceiling: nats-py publish_async, pipelined", f"{raw:,.0f} ev/s", "", ""),
        ("raw: nats-py publish, sequential", f"{results['raw']['sequential_per_s']:,.0f} ev/s", "", ""),
        (f"raw: nats-py publish, {CONCURRENT_PUBLISHERS} concurrent publishers", f"{concurrent['events_per_s']:,.0f} ev/s · "
         f"p50 {concurrent['p50_ms']:.1f} ms · p99 {concurrent['p99_ms']:.1f} ms", "", ""),
        ("peer: eventsourcing, PostgreSQL, 1 event/tx", f"{peer:,.0f} ev/s", "", ""),
    ]
    print_table("Tilts intake (file storage, sync_interval: always; same servers, same run)", rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=4000, help="single-event POSTs per concurrency level")
    parser.add_argument("--batches", type=int, default=20, help="500-event batches per run")
    parser.add_argument("--peer-events", type=int, default=3000)
    asyncio.run(main(parser.parse_args()))
