"""What every benchmark needs: real servers, a service process, a lean HTTP client, a table."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from shared.embedded import EmbeddedNats, EmbeddedPostgres
from tests.support.service_process import ServiceProcess


@dataclass
class Servers:
    base: Path
    nats: EmbeddedNats
    postgres: EmbeddedPostgres


@contextmanager
def servers() -> Iterator[Servers]:
    """A fresh NATS (fsync always) and PostgreSQL in a temporary directory."""
    base = Path(tempfile.mkdtemp(prefix="tilts-bench-"))
    os.chmod(base, 0o755)
    nats = EmbeddedNats(base / "nats")
    postgres = EmbeddedPostgres(base / "postgres")
    nats.start()
    postgres.start()
    try:
        yield Servers(base, nats, postgres)
    finally:
        nats.stop()
        postgres.stop()
        subprocess.run(["rm", "-rf", str(base)], check=False)


@contextmanager
def service(name: str, env: dict[str, str], base: Path) -> Iterator[ServiceProcess]:
    """`tilts serve <name>` as its own process, as in production."""
    # Benchmarks measure capacity: per-token rate limiting is off unless a bench sets it.
    env = {**os.environ, "TILTS_RATE_LIMIT_PER_SECOND": "0", **env, "TILTS_LOG_LEVEL": "warning"}
    running = ServiceProcess(name, env, base / f"{name}.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()


class RawClient:
    """A keep-alive HTTP/1.1 client with almost no overhead, so the load generator does not
    starve the server it measures on a 2-core machine."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> RawClient:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.writer is not None
        self.writer.close()

    @staticmethod
    def encode(method: str, path: str, body: bytes, token: str) -> bytes:
        head = (f"{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        return head.encode() + body

    async def send(self, request: bytes) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = await self.reader.readexactly(length)
        return status, body


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarise(latencies: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan")}


def print_table(title: str, rows: list[tuple[str, str, str, str]]) -> None:
    """Rows of (measure, value, target, verdict)."""
    table = Table(title=title)
    for column in ("measure", "value", "target", ""):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console(width=140).print(table)


def dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
