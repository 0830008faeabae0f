"""Sending a signed webhook: re-check the target's addresses, connect to the one checked.

The host is resolved and every address checked right before sending, and the request then goes
to that very address (the URL carries the IP; the Host header and TLS SNI carry the name, and
the certificate is verified for the name). So a name re-pointed at an internal address between
the check and the connection is never followed (DNS rebinding). Redirects are never followed,
proxies from the environment are never used, and at most 64 KiB of an answer is read.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook

from services.notifications.application.couriers import SendResult
from services.notifications.application.vetting import Resolver, vet
from services.notifications.domain.targets import IPAddress, Refused, Target, parse_target

MAX_ANSWER_BYTES = 64 * 1024
MAX_CLIENTS = 256
USER_AGENT = "tilts-notifications/1"


def signed_headers(secret: str, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for a body (signed with the library's reference code)."""
    return {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, now, body.decode())}


def _pinned(target: Target, address: IPAddress) -> tuple[str, str]:
    """(URL with the checked address as its host, the Host header naming the original host)."""
    parts = urlsplit(target.url)
    literal = f"[{address}]" if address.version == 6 else str(address)
    default_port = {"https": 443, "http": 80}[target.scheme]
    port_suffix = "" if target.port == default_port else f":{target.port}"
    host_header = (f"[{target.host}]" if ":" in target.host else target.host) + port_suffix
    return urlunsplit((target.scheme, literal + f":{target.port}", parts.path or "/", parts.query, "")), host_header


class WebhookSender:
    """Posts signed CloudEvents to subscribers' URLs."""

    def __init__(self, resolver: Resolver, *, allow_private: bool, timeout: float, per_origin: int) -> None:
        self._resolver, self._allow_private, self._timeout = resolver, allow_private, timeout
        self._per_origin = per_origin
        # One client per origin: pooled connections are then always to the name they were
        # opened for (a pool keyed by IP could reuse a TLS session made for another name).
        self._clients: OrderedDict[str, httpx.AsyncClient] = OrderedDict()

    async def send(self, url: str, secret: str, message_id: str, body: bytes) -> SendResult:
        """POST `body` to `url`, signed; ok only on a 2xx answer within the timeout."""
        target = parse_target(url, self._allow_private)
        if isinstance(target, Refused):
            return SendResult(False, f"target refused: {target.reason}")
        vetted = await vet(target, self._resolver, self._allow_private)
        if isinstance(vetted, Refused):
            return SendResult(False, f"target refused: {vetted.reason}")
        pinned_url, host = _pinned(target, vetted[0])
        headers = {**signed_headers(secret, message_id, body, datetime.now(UTC)), "host": host,
                   "content-type": "application/json", "user-agent": USER_AGENT}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" and target.address is None else {}
        try:
            async with asyncio.timeout(self._timeout):
                return await self._post(self._client(target.origin), pinned_url, headers, body, extensions)
        except TimeoutError:
            return SendResult(False, f"no answer within {self._timeout:g} s")
        except httpx.HTTPError as error:
            return SendResult(False, f"could not deliver: {type(error).__name__}")

    async def _post(self, client: httpx.AsyncClient, url: str, headers: dict[str, str], body: bytes,
                    extensions: dict) -> SendResult:
        request = client.build_request("POST", url, headers=headers, content=body, extensions=extensions)
        response = await client.send(request, stream=True)
        try:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read > MAX_ANSWER_BYTES:
                    break
        finally:
            await response.aclose()
        if 200 <= response.status_code < 300:
            return SendResult(True)
        if 300 <= response.status_code < 400:
            return SendResult(False, f"HTTP {response.status_code}: redirects are not followed")
        return SendResult(False, f"HTTP {response.status_code}")

    def _client(self, origin: str) -> httpx.AsyncClient:
        client = self._clients.get(origin)
        if client is None:
            client = httpx.AsyncClient(
                follow_redirects=False, trust_env=False, timeout=self._timeout,
                limits=httpx.Limits(max_connections=self._per_origin, max_keepalive_connections=self._per_origin))
            self._clients[origin] = client
            if len(self._clients) > MAX_CLIENTS:
                _, oldest = self._clients.popitem(last=False)
                asyncio.get_running_loop().create_task(oldest.aclose())
        self._clients.move_to_end(origin)
        return client

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
