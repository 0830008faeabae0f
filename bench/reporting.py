"""Reporting benchmark: `uv run --group bench python -m bench.reporting` (`--scale 0.1` for a quick run).

Measures, on the same servers in the same run:
- projection catch-up: `tilts serve reporting` started on a log of 200k events, events/s from
  position 0; against the raw ceiling, the same events consumed from JetStream (durable pull
  consumer, `fetch` batches, explicit acks after COMMIT, as the issue defines it) and COPYed
  into PostgreSQL with no logic; also against the same with one ack per batch, as the runner
  acks since it moved to AckPolicy.ALL (a stricter ceiling); and, for reference, the audit's
  faster reader + COPY;
- summary report latency over a year of national-scale data (200 mediators, 1M events written
  straight into the stream in atomic batches), and a monthly report's;
- write-to-readable: POST one event to the intake, then GET the ledger with `min_sequence`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
import uuid

import asyncpg
import httpx
import nats
import uvloop
from nats.js import api

from bench.common import percentile, print_table, servers, service
from bench.national import NationalYear, append_atomically
from shared.audit import read_log
from shared.auth.tokens import TokenAuthority
from shared.bus.eventlog import EventLog
from shared.bus.stream import StreamSpec, ensure_stream
from shared.bus.subjects import Subjects
from shared.config import Settings
from shared.roles import Role
from services.reporting.bootstrap import CATCH_UP_BATCH

BATCH = CATCH_UP_BATCH  # the reporting runner's batch size


def ok(passed: bool) -> str:
    return "[green]met[/]" if passed else "[red]missed[/]"


async def _raw_with_fetch(js: nats.js.JetStreamContext, db: asyncpg.Connection, stream: str, events: int,
                          *, ack_each: bool) -> float:
    """events/s: durable pull consumer, fetch in batches, COPY into PostgreSQL, COMMIT, then ack
    each event (AckPolicy.EXPLICIT) or only the batch's last one (AckPolicy.ALL)."""
    await db.execute("DROP TABLE IF EXISTS raw_fetch")
    await db.execute("CREATE TABLE raw_fetch (sequence bigint, subject text, payload bytea)")
    policy = api.AckPolicy.EXPLICIT if ack_each else api.AckPolicy.ALL
    await js.add_consumer(stream, api.ConsumerConfig(durable_name="raw-fetch", ack_policy=policy,
                                                     max_ack_pending=BATCH * 4,
                                                     deliver_policy=api.DeliverPolicy.ALL))
    subscription = await js.pull_subscribe_bind(durable="raw-fetch", stream=stream)
    done, started = 0, time.perf_counter()
    while done < events:
        messages = await subscription.fetch(min(BATCH, events - done), timeout=5)
        async with db.transaction():
            await db.copy_records_to_table("raw_fetch", records=[
                (m.metadata.sequence.stream, m.subject, m.data) for m in messages])
        for message in (messages if ack_each else messages[-1:]):
            await message.ack()
        done += len(messages)
    elapsed = time.perf_counter() - started
    await js.delete_consumer(stream, "raw-fetch")
    return events / elapsed


async def _raw_ceilings(js: nats.js.JetStreamContext, db: asyncpg.Connection, stream: str,
                        events: int) -> dict[bool, float]:
    """Both raw ceilings, keyed by ack_each."""
    return {ack_each: await _raw_with_fetch(js, db, stream, events, ack_each=ack_each) for ack_each in (True, False)}


async def _raw_with_reader(log: EventLog, db: asyncpg.Connection, events: int) -> float:
    """events/s: the audit's pipelined reader, COPY into PostgreSQL per 1000 events."""
    await db.execute("DROP TABLE IF EXISTS raw_read")
    await db.execute("CREATE TABLE raw_read (sequence bigint, subject text, payload bytea)")
    batch: list[tuple] = []
    started = time.perf_counter()
    async for record in read_log(log, stream=log.stream, first=1, last=events, batch=BATCH):
        batch.append((record.sequence, record.subject, record.payload))
        if len(batch) == BATCH:
            async with db.transaction():
                await db.copy_records_to_table("raw_read", records=batch)
            batch = []
    if batch:
        async with db.transaction():
            await db.copy_records_to_table("raw_read", records=batch)
    return events / (time.perf_counter() - started)


async def _position(db: asyncpg.Connection, schema: str, name: str) -> int:
    try:
        return int(await db.fetchval(f"SELECT position FROM {schema}.projection_positions WHERE name = $1", name) or 0)
    except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
        return 0


async def _catch_up(db: asyncpg.Connection, schema: str, name: str, target: int, timeout: float) -> float:
    """events/s from the first committed batch until `target` (start-up not counted)."""
    deadline = time.monotonic() + timeout
    first = None
    while (position := await _position(db, schema, name)) < target:
        if first is None and position > 0:
            first = (position, time.perf_counter())
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} reached only {position} of {target}")
        await asyncio.sleep(0.05)
    if first is None:
        return float("nan")
    return (target - first[0]) / (time.perf_counter() - first[1])


async def _latencies(client: httpx.AsyncClient, url: str, params: dict, headers: dict, runs: int) -> list[float]:
    answer = await client.get(url, params=params, headers=headers)  # warm up
    assert answer.status_code == 200, answer.text
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = await client.get(url, params=params, headers=headers)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
    return times


async def _write_to_readable(intake_url: str, reporting_url: str, tokens: TokenAuthority, writes: int) -> list[float]:
    admin = {"Authorization": f"Bearer {tokens.mint(Role.ADMIN, 'bench-admin')}"}
    mediator = {"Authorization": f"Bearer {tokens.mint(Role.MEDIATOR, 'bench-med')}"}
    auditor = {"Authorization": f"Bearer {tokens.mint(Role.AUDITOR, 'bench-auditor')}"}
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    setup = [("tilts.municipality.registered", {"municipality_id": "bench-m", "name": "Tukums"}),
             ("tilts.institution.registered", {"institution_id": "bench-school", "municipality_id": "bench-m",
                                               "name": "Tukuma skola", "kind": "school"}),
             ("tilts.institution.contact_added", {"institution_id": "bench-school", "contact_id": "bench-contact",
                                                  "name": "Ilze Kalniņa", "role": "sociālā pedagoģe"}),
             ("tilts.mediator.registered", {"mediator_id": "bench-med", "display_name": "Marta Ozoliņa",
                                            "municipality_ids": ["bench-m"]})]
    async with httpx.AsyncClient(timeout=30) as client:
        for n, (type_, data) in enumerate(setup):
            body = {"specversion": "1.0", "id": f"bench-setup-{n}", "source": "bench", "type": type_,
                    "time": now, "data": data}
            answer = await client.post(f"{intake_url}/v1/events", json=body, headers=admin)
            assert answer.status_code in (200, 201), answer.text
        times = []
        for n in range(writes):
            body = {"specversion": "1.0", "id": f"bench-{uuid.uuid4().hex}", "source": "bench/phone",
                    "type": "tilts.cooperation.recorded", "time": now,
                    "data": {"cooperation_id": f"bench-co-{n}", "institution_id": "bench-school",
                             "contact_id": "bench-contact", "domain": "education", "channel": "phone",
                             "purpose": "kavējumu iemesli"}}
            started = time.perf_counter()
            posted = await client.post(f"{intake_url}/v1/events", json=body, headers=mediator)
            assert posted.status_code == 201, posted.text
            read = await client.get(f"{reporting_url}/v1/cooperations", headers=auditor, params={
                "institution_id": "bench-school", "limit": 1, "min_sequence": posted.json()["sequence"]})
            assert read.status_code == 200, read.text
            times.append(time.perf_counter() - started)
        return times


async def main(args: argparse.Namespace) -> None:
    total, catch_up = int(1_000_000 * args.scale), int(200_000 * args.scale)
    mediators = max(5, int(200 * args.scale))
    rows: list[tuple[str, str, str, str]] = []
    with servers() as s:
        settings = Settings(data_dir=s.base / "data", nats_url=s.nats.url, database_url=s.postgres.url)
        env = {"TILTS_DATA_DIR": str(settings.data_dir), "TILTS_NATS_URL": s.nats.url,
               "TILTS_DATABASE_URL": s.postgres.url}
        nc = await nats.connect(s.nats.url)
        js = nc.jetstream(timeout=30)
        await ensure_stream(js, StreamSpec(settings.stream_name, settings.subject_prefix))
        log = EventLog(nc, js, settings.stream_name, Subjects(settings.subject_prefix))
        db = await asyncpg.connect(s.postgres.url)
        year = NationalYear(mediators=mediators, events=total, subjects=Subjects(settings.subject_prefix))
        events = year.events()
        started = time.perf_counter()
        await append_atomically(nc, itertools.islice(events, catch_up))
        print(f"{catch_up:,} events written in {time.perf_counter() - started:.0f} s")

        before = await _raw_ceilings(js, db, settings.stream_name, catch_up)
        raw_read = await _raw_with_reader(log, db, catch_up)
        with service("reporting", env, s.base) as reporting:
            rate = await _catch_up(db, "tilts_reporting", "reporting", catch_up, timeout=3600)
            # Measured again right after, so a busy moment on the machine does not favour either side.
            after = await _raw_ceilings(js, db, settings.stream_name, catch_up)
            raw_each, raw_batch = ((before[k] + after[k]) / 2 for k in (True, False))
            started = time.perf_counter()
            last = await append_atomically(nc, events)
            print(f"{last:,} events in the log ({time.perf_counter() - started:.0f} s for the rest)")
            await _catch_up(db, "tilts_reporting", "reporting", last, timeout=7200)
            tokens = TokenAuthority.from_settings(settings)
            auditor = {"Authorization": f"Bearer {tokens.mint(Role.AUDITOR, 'bench-auditor')}"}
            async with httpx.AsyncClient(timeout=60) as client:
                summary = await _latencies(client, f"{reporting.url}/v1/reports/summary",
                                           {"from": f"{year.year}-01-01", "to": f"{year.year}-12-31"}, auditor, 10)
                someone = year.mediators[len(year.mediators) // 2].id
                monthly = await _latencies(client, f"{reporting.url}/v1/reports/monthly",
                                           {"mediator_id": someone, "month": f"{year.year}-06"}, auditor, 10)
            with service("intake", env, s.base) as intake:
                await _catch_up(db, "tilts_intake", "intake-index", last, timeout=7200)
                fresh = await _write_to_readable(intake.url, reporting.url, tokens, args.writes)
        await db.close()
        await nc.close()

    rows += [
        (f"catch-up from 0 over {catch_up:,} events", f"{rate:,.0f} ev/s", "", ""),
        ("raw ceiling: fetch batches + COPY + explicit acks (mean of 2)", f"{raw_each:,.0f} ev/s", "", ""),
        ("  catch-up vs raw ceiling", f"{rate / raw_each:.0%}", "≥ 40%", ok(rate >= 0.4 * raw_each)),
        ("stricter: fetch batches + COPY + one ack per batch (mean of 2)", f"{raw_batch:,.0f} ev/s", "", ""),
        ("  catch-up vs the stricter ceiling", f"{rate / raw_batch:.0%}", "", ""),
        ("reference: audit reader + COPY (no acks)", f"{raw_read:,.0f} ev/s", "", ""),
        (f"summary, one year, {total:,} events, {mediators} mediators",
         f"p50 {percentile(summary, 50) * 1000:.0f} ms · max {max(summary) * 1000:.0f} ms", "< 500 ms",
         ok(percentile(summary, 50) < 0.5)),
        ("monthly report, one mediator", f"p50 {percentile(monthly, 50) * 1000:.0f} ms", "", ""),
        (f"write-to-readable ({args.writes} POST + GET min_sequence)",
         f"p50 {percentile(fresh, 50) * 1000:.0f} ms · p99 {percentile(fresh, 99) * 1000:.0f} ms", "p99 < 250 ms",
         ok(percentile(fresh, 99) < 0.25)),
    ]
    print_table("Tilts reporting (file storage, sync_interval: always; same servers, same run)", rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the national scale (1M events)")
    parser.add_argument("--writes", type=int, default=300, help="POST+GET pairs for write-to-readable")
    uvloop.install()  # the service runs on uvloop (tilts serve); so does the raw ceiling it is compared with
    asyncio.run(main(parser.parse_args()))
