"""Checking a webhook target's addresses now: at subscription time and before every delivery."""

from __future__ import annotations

from typing import Protocol

from services.notifications.domain.targets import IPAddress, Refused, Target, check_addresses


class Resolver(Protocol):
    """Port: the addresses a host name resolves to (empty if it does not resolve)."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address of `host`."""


async def vet(target: Target, resolver: Resolver, allow_private: bool) -> list[IPAddress] | Refused:
    """The addresses to send to, if every address the target has now may be sent to."""
    addresses = [target.address] if target.address is not None else await resolver.resolve(target.host, target.port)
    refused = check_addresses(target, addresses, allow_private)
    return refused or addresses
