"""Notifications benchmark: `uv run --group bench python -m bench.notifications`.

The intake and the notifications service run as their own processes (`tilts serve`), on fresh
NATS and PostgreSQL servers. 100 institutions each subscribe a webhook to a receiver in this
process (a tiny asyncio HTTP server that checks every signature and records when each event
id arrived). Mediators then post cooperations at a steady rate (50/s for 30 s by default),
round-robin over the institutions. Measured: event-to-webhook latency (from the moment the
cooperation is posted to the moment its webhook arrives) p50/p99/max, deliveries/s, and the
counts that must hold: every event delivered, none twice to a healthy endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import urlparse

import asyncpg
import httpx
from standardwebhooks import Webhook

from shared.auth.tokens import TokenAuthority
from shared.config import Settings
from shared.embedded import free_port
from shared.roles import Role
from tests.support.load import register_population, subscribe_webhooks

from .common import RawClient, dumps, percentile, print_table, servers, service
from .intake import RssSampler, ok

PREFIX = "bench"
MUNICIPALITY, MEDIATOR = f"{PREFIX}-m", f"{PREFIX}-med"  # as register_population names them


class Receiver:
    """A keep-alive HTTP/1.1 webhook endpoint: verifies each signature, records arrivals by event id."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets  # path -> secret
        self.arrivals: dict[str, list[float]] = {}
        self.bad_signatures = 0
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):  # the handlers then see EOF and end by themselves
            writer.close()
        await asyncio.sleep(0.1)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrived = time.time()
                lines = head.decode("latin-1").split("\r\n")
                fields = (line.partition(":") for line in lines[1:] if line)
                headers = {k.strip().lower(): v.strip() for k, _, v in fields}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self._record(lines[0].split(" ")[1], headers, body, arrived)
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
        finally:
            self._writers.discard(writer)

    def _record(self, path: str, headers: dict[str, str], body: bytes, arrived: float) -> None:
        try:
            Webhook(self.secrets[path]).verify(body, headers, json_parse=False)
        except Exception:
            self.bad_signatures += 1
            return
        self.arrivals.setdefault(headers["webhook-id"], []).append(arrived)


async def burst(intake_url: str, token: str, pairs: list[tuple[str, str]], first: int, total: int
                ) -> dict[str, float]:
    """Post `total` cooperations at once (500-event batches); event id -> when its batch left."""
    posted: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=120) as client:
        for start in range(first, first + total, 500):
            bodies = [cooperation(n, *pairs[n % len(pairs)]) for n in range(start, min(start + 500, first + total))]
            now = time.time()
            posted.update({b["id"]: now for b in bodies})
            answer = await client.post(f"{intake_url}/v1/events:batch", json={"events": bodies},
                                       headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200 and answer.json()["created"] == len(bodies), answer.text[:300]
    return posted


async def arrived(receiver: Receiver, posted: dict[str, float], timeout: float = 120) -> float:
    """Wait until every posted id has arrived (or the timeout); when the last one did."""
    deadline = time.monotonic() + timeout
    while any(i not in receiver.arrivals for i in posted) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return max((receiver.arrivals[i][0] for i in posted if i in receiver.arrivals), default=time.time())


def cooperation(number: int, institution: str, contact: str) -> dict:
    return {"specversion": "1.0", "id": f"bench-ev-{number}", "source": "bench/phone",
            "type": "tilts.cooperation.recorded", "time": datetime.now(UTC).isoformat(),
            "data": {"cooperation_id": f"bench-co-{number}", "institution_id": institution, "contact_id": contact,
                     "domain": "education", "channel": "meeting", "municipality_id": MUNICIPALITY,
                     "purpose": "Skolas kavējumu iemeslu noskaidrošana ar sociālo pedagogu"}}


async def steady_load(intake_url: str, token: str, pairs: list[tuple[str, str]], rate: float, seconds: float,
                      clients: int = 4) -> tuple[dict[str, float], list[float]]:
    """Post cooperations at `rate` per second; (event id -> when it was posted, POST latencies)."""
    host, port = urlparse(intake_url).hostname, urlparse(intake_url).port
    total = int(rate * seconds)
    queue: asyncio.Queue[int | None] = asyncio.Queue()
    posted: dict[str, float] = {}
    latencies: list[float] = []

    async def worker() -> None:
        async with RawClient(host, port) as client:
            while (number := await queue.get()) is not None:
                institution, contact = pairs[number % len(pairs)]
                body = cooperation(number, institution, contact)
                posted[body["id"]] = time.time()
                started = time.perf_counter()
                status, answer = await client.send(RawClient.encode("POST", "/v1/events", dumps(body), token))
                latencies.append(time.perf_counter() - started)
                assert status == 201, answer[:300]

    workers = [asyncio.create_task(worker()) for _ in range(clients)]
    started = time.perf_counter()
    for number in range(total):  # a steady schedule, not a burst: event n leaves at n / rate
        await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
        queue.put_nowait(number)
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return posted, latencies


async def delivered_in_database(database_url: str) -> Counter:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT status, count(*) AS n FROM tilts_notifications.deliveries GROUP BY status")
        return Counter({r["status"]: r["n"] for r in rows})
    finally:
        await connection.close()


async def main(args: argparse.Namespace) -> None:
    with servers() as s:
        settings = Settings(data_dir=s.base / "data", nats_url=s.nats.url, database_url=s.postgres.url)
        tokens = TokenAuthority.from_settings(settings)
        admin, mediator = tokens.mint(Role.ADMIN, "bench-admin"), tokens.mint(Role.MEDIATOR, MEDIATOR)
        env = {"TILTS_DATA_DIR": str(settings.data_dir), "TILTS_NATS_URL": s.nats.url,
               "TILTS_DATABASE_URL": s.postgres.url, "TILTS_NOTIFY_ALLOW_PRIVATE_TARGETS": "true"}
        with service("intake", env, s.base) as intake, \
                service("notifications", {**env, "TILTS_INTAKE_URL": intake.url}, s.base) as notify, \
                RssSampler(notify) as rss:
            population = await register_population(intake.url, admin, PREFIX, args.institutions)
            pairs = list(population.pairs)
            receiver = Receiver({})
            async with receiver:
                receiver.secrets.update(await subscribe_webhooks(notify.url, admin, population.institutions,
                                                                 f"http://127.0.0.1:{receiver.port}"))
                load_started = time.time()
                posted, post_latencies = await steady_load(intake.url, mediator, pairs, args.rate, args.seconds)
                last_steady = await arrived(receiver, posted)
                burst_posted = await burst(intake.url, mediator, pairs, len(posted), args.burst)
                burst_seconds = await arrived(receiver, burst_posted) - min(burst_posted.values())
                burst_rate = len(burst_posted) / max(1e-9, burst_seconds)
                await asyncio.sleep(1.0)  # anything sent twice would arrive now
            statuses = await delivered_in_database(s.postgres.url)
    report(args, posted, post_latencies, receiver, statuses, load_started, last_steady, burst_rate, rss.peak)


def report(args: argparse.Namespace, posted: dict[str, float], post_latencies: list[float], receiver: Receiver,
           statuses: Counter, load_started: float, last_steady: float, burst_rate: float, rss_peak: float) -> None:
    latencies = [receiver.arrivals[i][0] - at for i, at in posted.items() if i in receiver.arrivals]
    duplicates = sum(len(times) - 1 for times in receiver.arrivals.values())
    expected = len(posted) + args.burst
    missing = expected - len(receiver.arrivals)
    steady_rate = sum(1 for i in posted if i in receiver.arrivals) / max(1e-9, last_steady - load_started)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    rows = [
        ("cooperations posted", f"{len(posted):,} at {args.rate:g}/s over {args.seconds:g} s "
                                f"to {args.institutions} subscribed institutions", "", ""),
        ("intake POST latency", f"p50 {percentile(post_latencies, 50) * 1000:.1f} ms · "
                                f"p99 {percentile(post_latencies, 99) * 1000:.1f} ms", "", ""),
        ("event → webhook latency p50", f"{p50 * 1000:.0f} ms", "", ""),
        ("event → webhook latency p99", f"{p99 * 1000:.0f} ms", "< 1000 ms", ok(p99 < 1.0)),
        ("event → webhook latency max", f"{max(latencies, default=float('nan')) * 1000:.0f} ms", "", ""),
        ("deliveries/s, steady (first post → last webhook)", f"{steady_rate:,.1f}", f"≈ {args.rate:g}",
         ok(steady_rate >= args.rate * 0.95)),
        (f"deliveries/s, burst ({args.burst:,} posted in 500-event batches)", f"{burst_rate:,.0f}", "", ""),
        ("webhooks received (distinct event ids)", f"{len(receiver.arrivals):,}", f"{expected:,}",
         ok(missing == 0)),
        ("lost (posted, never delivered)", str(missing), "0", ok(missing == 0)),
        ("duplicated to the healthy endpoint", str(duplicates), "0", ok(duplicates == 0)),
        ("bad signatures", str(receiver.bad_signatures), "0", ok(receiver.bad_signatures == 0)),
        ("deliveries in PostgreSQL", ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())), "", ""),
        ("notifications RSS (peak)", f"{rss_peak:.0f} MB", "", ""),
    ]
    print_table("Tilts notifications: steady cooperations → signed webhooks (2-core machine, one run)", rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="cooperations per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the steady load lasts")
    parser.add_argument("--institutions", type=int, default=100, help="institutions, each with a webhook")
    parser.add_argument("--burst", type=int, default=2000, help="cooperations posted at once after the steady load")
    asyncio.run(main(parser.parse_args()))
