"""Host name resolution through the system resolver (asyncio's getaddrinfo)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from services.notifications.domain.targets import IPAddress


class SystemResolver:
    """Resolves names the way the HTTP client would, so what is checked is what is used."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address of `host` (empty if it does not resolve)."""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            return []
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        return list(dict.fromkeys(addresses))
