"""Soak test: `uv run --group bench python -m bench.soak [--minutes 30]` (not run in CI).

All three services run as their own processes on fresh NATS and PostgreSQL. For the whole run a
steady mixed load is posted — families with cases and activities as single events, cooperations
(each notifying a subscribed institution's webhook), day-sync batches — while a reader asks for
reports with `min_sequence`. Every sample period the table grows a row: memory (PSS) of each
process, projection lag, events acknowledged so far. At the end it counts, by id, that every
acknowledged event is in the log exactly once, every cooperation reached its webhook once, and
the read models caught up. Memory that keeps growing row after row is a leak.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time

import httpx
import psutil

from shared.auth.tokens import TokenAuthority
from shared.config import Settings
from shared.roles import Role
from tests.support.load import Acknowledgements, MixedWork, Phone, register_population, subscribe_webhooks
from tests.support.log_count import LogCount, count_log, stored_sequences

from .common import ServiceProcess, print_table, servers, service
from .notifications import Receiver

INSTITUTIONS = 10


def _memory_bytes(process: psutil.Process) -> int:
    """Proportional set size: a page shared by n processes counts 1/n in each. Summed over
    PostgreSQL's backends this counts its shared buffers once, where RSS counted them once per
    backend that had touched them (and so grew with every backend, leak or not)."""
    try:
        return process.memory_full_info().pss
    except (psutil.AccessDenied, AttributeError):  # no smaps: resident size instead
        return process.memory_info().rss


def _memory_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            process = psutil.Process(pid)
            total += sum(_memory_bytes(p) for p in (process, *process.children(recursive=True)))
        except psutil.NoSuchProcess:
            pass
    return total / 1e6


def _lag(metrics_text: str) -> int:
    return int(sum(float(v) for v in re.findall(r"^tilts_projection_lag_events\{[^}]*\} ([0-9.e+]+)$",
                                                metrics_text, re.M)))


async def _sample(minute: float, processes: dict[str, list[int]], services: dict[str, ServiceProcess],
                  acks: Acknowledgements) -> tuple[str, ...]:
    lags = []
    async with httpx.AsyncClient(timeout=10) as client:
        for name in ("reporting", "notifications"):
            lags.append(_lag((await client.get(f"{services[name].url}/metrics")).text))
    memory = [f"{_memory_mb(pids):.0f}" for pids in processes.values()]
    return (f"{minute:.1f}", *memory, str(sum(lags)), f"{acks.count:,}")


async def _reader(reporting_url: str, token: str, municipality: str, acks: Acknowledgements, stop: asyncio.Event,
                  latencies: list[float]) -> None:
    async with httpx.AsyncClient(base_url=reporting_url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        while not stop.is_set():
            started = time.perf_counter()
            answer = await client.get("/v1/reports/summary", params={
                "from": "2020-01-01", "to": "2030-12-31", "municipality_id": municipality,
                "min_sequence": acks.last_sequence})
            if answer.status_code == 200:
                latencies.append(time.perf_counter() - started)
            await asyncio.sleep(1)


async def main(args: argparse.Namespace) -> None:
    with servers() as s:
        settings = Settings(data_dir=s.base / "data", nats_url=s.nats.url, database_url=s.postgres.url)
        tokens = TokenAuthority.from_settings(settings)
        admin = tokens.mint(Role.ADMIN, "soak-admin")
        env = {"TILTS_DATA_DIR": str(settings.data_dir), "TILTS_NATS_URL": s.nats.url,
               "TILTS_DATABASE_URL": s.postgres.url, "TILTS_NOTIFY_ALLOW_PRIVATE_TARGETS": "true"}
        with service("intake", env, s.base) as intake, service("reporting", env, s.base) as reporting, \
                service("notifications", env, s.base) as notifications:
            services = {"intake": intake, "reporting": reporting, "notifications": notifications}
            population = await register_population(intake.url, admin, "soak", INSTITUTIONS)
            mediator = tokens.mint(Role.MEDIATOR, population.mediator)
            async with Receiver({}) as receiver:
                receiver.secrets.update(await subscribe_webhooks(notifications.url, admin, population.institutions,
                                                                 f"http://127.0.0.1:{receiver.port}"))
                processes = {"nats": [s.nats.pid or 0], "postgres": [s.postgres.pid or 0],
                             **{name: [svc.proc.pid] for name, svc in services.items()}}
                rows, read_latencies = [], []
                stop = asyncio.Event()
                async with httpx.AsyncClient(base_url=intake.url, timeout=30) as client:
                    acks = Acknowledgements()
                    work = MixedWork(Phone(client, mediator, acks), population, "soak")
                    reader = asyncio.create_task(_reader(reporting.url, admin, population.municipality, acks, stop,
                                                         read_latencies))
                    started, next_sample = time.monotonic(), 0.0
                    while (elapsed := time.monotonic() - started) < args.minutes * 60:
                        if elapsed >= next_sample:
                            rows.append(await _sample(elapsed / 60, processes, services, acks))
                            next_sample += args.sample_seconds
                        tick = time.monotonic()
                        await work.one_unit()
                        await asyncio.sleep(max(0.0, 1 / args.units_per_second - (time.monotonic() - tick)))
                    stop.set()
                    await reader
                await _settle(reporting.url, admin, acks, receiver)
                rows.append(await _sample((time.monotonic() - started) / 60, processes, services, acks))
            counted = count_log(acks.sequences, await stored_sequences(s.nats.url, settings.stream_name))
    _report(args, rows, processes, acks, counted, receiver, read_latencies)


async def _settle(reporting_url: str, admin: str, acks: Acknowledgements, receiver: Receiver,
                  timeout: float = 120) -> None:
    """Let the projections and deliveries finish what the load left in flight."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=30) as client:
        await client.get(f"{reporting_url}/v1/cooperations", headers={"Authorization": f"Bearer {admin}"},
                         params={"min_sequence": acks.last_sequence, "limit": 1})
    while time.monotonic() < deadline and any(i not in receiver.arrivals for i in acks.cooperations):
        await asyncio.sleep(0.2)


def _report(args: argparse.Namespace, rows: list[tuple[str, ...]], processes: dict[str, list[int]],
            acks: Acknowledgements, counted: LogCount, receiver: Receiver, read_latencies: list[float]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Soak: {args.minutes} min, {args.units_per_second} work units/s (10 events each)")
    for column in ("minute", *(f"{name} MB (PSS)" for name in processes), "lag", "acknowledged"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*row)
    Console(width=160).print(table)
    undelivered = [i for i in acks.cooperations if i not in receiver.arrivals]
    twice = [i for i, times in receiver.arrivals.items() if len(times) > 1]
    read_latencies.sort()
    p99 = read_latencies[int(0.99 * (len(read_latencies) - 1))] * 1000 if read_latencies else float("nan")
    print_table("Counts (by id)", [
        ("events acknowledged", f"{counted.acknowledged:,}", "", ""),
        ("  in the log exactly once", f"{counted.exactly_once:,}", "all",
         "[green]ok[/]" if counted.ok else f"[red]{counted.acknowledged - counted.exactly_once} missing or doubled[/]"),
        ("answers other than 201/200", str({k: v for k, v in acks.answers.items() if k not in ("200", "201")} or 0),
         "", ""),
        ("cooperations notified", f"{len(acks.cooperations) - len(undelivered):,} of {len(acks.cooperations):,}",
         "all", "[green]ok[/]" if not undelivered else "[red]lost[/]"),
        ("  delivered twice to a healthy endpoint", str(len(twice)), "0", "[green]ok[/]" if not twice else "[red]![/]"),
        ("summary read with min_sequence, p99", f"{p99:.0f} ms", "", ""),
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--units-per-second", type=float, default=3.0, help="each unit is 10 events")
    parser.add_argument("--sample-seconds", type=float, default=60.0)
    asyncio.run(main(parser.parse_args()))
