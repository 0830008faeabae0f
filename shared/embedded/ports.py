"""Free TCP ports on the loopback interface, outside the range the OS hands out on its own.

A port from the kernel's ephemeral range (bind to port 0) can be taken again before the server
that was meant to listen on it binds: by any outgoing connection, including the server's own
connections to NATS and PostgreSQL while it starts (uvicorn binds after its startup). Ports below
that range are only ever taken by an explicit bind, so a port found free stays free.
"""

from __future__ import annotations

import random
import socket
import threading
from pathlib import Path

_lock = threading.Lock()
_handed_out: set[tuple[str, int]] = set()
LOWEST = 20_000


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on `host` that is free now and not handed out before by this process."""
    highest = _ephemeral_start() - 1
    with _lock:
        for _ in range(1000):
            port = random.randint(LOWEST, highest) if highest > LOWEST else 0
            if port == 0:  # no room below the ephemeral range: let the OS choose
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.bind((host, 0))
                    port = sock.getsockname()[1]
            elif not _bindable(host, port):
                continue
            if (host, port) not in _handed_out:
                _handed_out.add((host, port))
                return port
    raise RuntimeError(f"could not find a fresh free port on {host}")
