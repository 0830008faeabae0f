"""`tilts up`: the whole system on one machine, stopped cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from shared.auth.tokens import TokenAuthority
from shared.config import Settings
from shared.data_dir_lock import DataDirInUse, hold_data_dir
from shared.embedded import EmbeddedNats, EmbeddedPostgres, start_cluster
from shared.embedded import process
from shared.runtime_file import remove_runtime_urls, write_runtime_urls

from .log_layout import CLUSTER_FOLDER, SINGLE_FOLDER, find_stores, layout_problem
from .services import SERVICES, ServiceSpec
from .stopping import StopFlag, until_stopped
from .supervise import GaveUp, Supervisor, Watched

READY_TIMEOUT = 90.0


def _wait_ready(url: str, child: subprocess.Popen, deadline: float, stop: StopFlag) -> bool:
    """Whether the service answers ready before the deadline; False at once if it dies or a stop is asked for."""
    while time.monotonic() < deadline and not stop:
        if child.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def _watch_server(supervisor: Supervisor, name: str, server: EmbeddedNats | EmbeddedPostgres, log_path: Path) -> None:
    supervisor.watch(Watched(name, server.is_running, server.start, log_path, lambda: server.exit_code,
                             lambda: server.pid))


def _start_nats_cluster(settings: Settings, size: int, stack: ExitStack, console: Console,
                        supervisor: Supervisor) -> dict[str, str]:
    """A JetStream cluster of `size` nodes on loopback; the stream is replicated on up to three."""
    servers = start_cluster(settings.data_dir / CLUSTER_FOLDER, size)
    console.print(f"[green]NATS JetStream cluster[/] of {size}:")
    for server in servers:
        stack.callback(server.stop)
        # Named by its folder (n0, n1, …), as its data and config are: "node 1" was n0.
        name = f"NATS {server.store_dir.name}"
        _watch_server(supervisor, name, server, server.log_path)
        console.print(f"  {name} {server.url} (pid {server.pid}, data in {server.store_dir})")
    return {"TILTS_NATS_URL": ",".join(s.url for s in servers), "TILTS_STREAM_REPLICAS": str(min(size, 3))}


def _start_servers(settings: Settings, stack: ExitStack, console: Console, supervisor: Supervisor,
                   cluster: int = 1) -> dict[str, str]:
    """Embedded NATS and PostgreSQL (watched) unless external ones are configured; their URLs."""
    urls = {}
    if settings.nats_url:
        urls["TILTS_NATS_URL"] = settings.nats_url
    elif cluster > 1:
        urls.update(_start_nats_cluster(settings, cluster, stack, console, supervisor))
    else:
        nats = EmbeddedNats(settings.data_dir / SINGLE_FOLDER)
        nats.start()
        stack.callback(nats.stop)
        _watch_server(supervisor, "NATS", nats, nats.log_path)
        urls["TILTS_NATS_URL"] = nats.url
        console.print(f"[green]NATS JetStream[/] {nats.url} (pid {nats.pid}, data in {nats.store_dir})")
    if settings.database_url:
        urls["TILTS_DATABASE_URL"] = settings.database_url
    else:
        postgres = EmbeddedPostgres(settings.data_dir / "postgres")
        postgres.start()
        stack.callback(postgres.stop)
        _watch_server(supervisor, "PostgreSQL", postgres, postgres.log_path)
        urls["TILTS_DATABASE_URL"] = postgres.url
        console.print(f"[green]PostgreSQL[/] 127.0.0.1:{postgres.port} (pid {postgres.pid}, data in {postgres.data_dir})")
    return urls


def _start_service(spec: ServiceSpec, settings: Settings, env: dict[str, str], stack: ExitStack) -> subprocess.Popen:
    log_path = settings.data_dir / "logs" / f"{spec.name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    child = process.spawn([sys.executable, "-m", "tilts", "serve", spec.name], log_path=log_path, env=env,
                          death_signal=signal.SIGTERM)
    stack.callback(process.stop, child, signal.SIGTERM, 15.0)
    return child


def _watched_service(name: str, spec: ServiceSpec, children: dict[str, subprocess.Popen], settings: Settings,
                     env: dict[str, str], stack: ExitStack) -> Watched:
    """A service the supervisor starts again in place of the child that died."""
    def restart() -> None:
        children[name] = _start_service(spec, settings, env, stack)

    return Watched(name, lambda: children[name].poll() is None, restart,
                   settings.data_dir / "logs" / f"{name}.log", lambda: children[name].returncode,
                   lambda: children[name].pid)


def _load_demo(settings: Settings, console: Console, stop: StopFlag) -> None:
    """Post the demo season, giving up as soon as a stop is asked for (a later `--demo` finishes it)."""
    from .demo import build_season, load_season

    authority = TokenAuthority.from_settings(settings)

    def mint(actor) -> str:
        return authority.mint(actor.role, actor.subject, municipalities=list(actor.municipalities),
                              institution=actor.institution)

    season = build_season()
    total, posted = season.event_count, [0]
    console.print(f"Loading the demo season ({total} events)...")
    loading = load_season(season, settings.service_url("intake"), mint,
                          progress=lambda done, _total: posted.__setitem__(0, done))
    summary = asyncio.run(until_stopped(loading, stop))
    if summary is None:
        console.print(f"[yellow]Stopping: the demo is not loaded fully[/] ({posted[0]} of {total} events posted). "
                      "Loading it is idempotent: the next `tilts up --demo` finishes it.")
        return
    console.print(f"[green]Demo loaded:[/] {summary.created} created, {summary.duplicate} already there")


def _taken_ports(settings: Settings) -> list[str]:
    """The services' ports something else already listens on, each with the setting that moves it."""
    taken = []
    for name, spec in SERVICES.items():
        port = spec.port(settings)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((settings.bind_host, port))
            except OSError:
                taken.append(f"{name}: {settings.bind_host}:{port} (TILTS_{name.upper()}_PORT)")
    return taken


def _refusal(settings: Settings, cluster: int) -> str | None:
    """Why `tilts up` must not start anything here (rich markup), checked while it holds the data dir."""
    if taken := _taken_ports(settings):
        return "[red]These ports are in use; stop what listens there or choose others:[/] " + "; ".join(taken)
    if not settings.nats_url:  # external servers keep their log wherever they keep it
        if problem := layout_problem(settings.data_dir, cluster, find_stores(settings.data_dir)):
            return f"[red]{escape(problem)}[/]"
    return None


def run_system(settings: Settings, *, demo: bool, console: Console, cluster: int = 1) -> int:
    """Start everything, wait for a stop signal, stop everything; the exit code."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings.model_copy(update={"data_dir": settings.data_dir.absolute()})
    try:
        held = hold_data_dir(settings.data_dir)
    except DataDirInUse as error:
        console.print(f"[red]{error}[/]")
        return 1
    if refusal := _refusal(settings, cluster):
        held.close()
        console.print(refusal, soft_wrap=True)
        return 1
    stop = StopFlag()
    stop.install()
    with ExitStack() as stack:
        stack.callback(held.close)  # released last, after every server stopped
        if (code := _serve(settings, stack, console, stop, demo=demo, cluster=cluster)) != 0:
            return code
        console.print("Stopping...")
    console.print("Stopped.")
    return 0


def _serve(settings: Settings, stack: ExitStack, console: Console, stop: StopFlag, *, demo: bool,
           cluster: int) -> int:
    """Start the servers and services (stopped by `stack`), keep them running until a stop is asked for; 0, or 1."""
    supervisor = Supervisor(console)
    urls = _start_servers(settings, stack, console, supervisor, cluster)
    write_runtime_urls(settings.data_dir, {k: v for k, v in urls.items() if k.endswith("_URL")})  # for other commands
    stack.callback(remove_runtime_urls, settings.data_dir)
    # Webhooks to this machine are the local default; an operator's explicit false still holds.
    env = {"TILTS_NOTIFY_ALLOW_PRIVATE_TARGETS": "true", **os.environ, **urls,
           "TILTS_DATA_DIR": str(settings.data_dir)}
    TokenAuthority.from_settings(settings)  # create the signing key once, before the services race for it
    children = {name: _start_service(spec, settings, env, stack) for name, spec in SERVICES.items()}
    if not _services_ready(children, settings, console, stop):
        return 1
    if demo and not stop:
        try:
            _load_demo(settings, console, stop)
        except Exception as error:  # the system keeps running; say what went wrong
            console.print(f"[red]Loading the demo failed:[/] {error}")
    if not stop:
        console.print(f"Logs in {settings.data_dir / 'logs'}. Tokens: uv run tilts token create --help. "
                      "Ctrl-C stops everything.")
    for name, spec in SERVICES.items():
        supervisor.watch(_watched_service(name, spec, children, settings, env, stack))
    while not stop:
        time.sleep(0.2)
        try:
            supervisor.check()
        except GaveUp as error:
            console.print(f"[red]{error}[/]; stopping everything.")
            return 1
    return 0


def _services_ready(children: dict[str, subprocess.Popen], settings: Settings, console: Console,
                    stop: StopFlag) -> bool:
    """Wait for each service to be ready, saying where it listens; False (its log shown) if one is not.

    A stop asked for meanwhile ends the wait at once, and is not a failure.
    """
    deadline = time.monotonic() + READY_TIMEOUT
    for name, child in children.items():
        ready = _wait_ready(settings.service_url(name), child, deadline, stop)
        if stop:
            return True
        if not ready:
            log_path = settings.data_dir / "logs" / f"{name}.log"
            console.print(f"[red]{name} did not become ready[/]; its log ({log_path}):\n" + process.log_tail(log_path))
            return False
        console.print(f"[green]{name}[/] {settings.service_url(name)}  (docs: {settings.service_url(name)}/docs)")
    return True


__all__ = ["run_system", "Path"]
