"""Free TCP ports on the loopback interface."""

from __future__ import annotations

import socket
import threading

_lock = threading.Lock()
_handed_out: set[tuple[str, int]] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on `host` that is free now and not handed out before by this process."""
    # The OS may give back a port it just gave us once the probe socket is closed; callers
    # that ask for several ports at once (a cluster) need them to be distinct.
    with _lock:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind((host, 0))
                port: int = sock.getsockname()[1]
            if (host, port) not in _handed_out:
                _handed_out.add((host, port))
                return port
    raise RuntimeError(f"could not find a fresh free port on {host}")
