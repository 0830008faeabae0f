"""Per-token rate limiting: a token bucket per bearer token (per client address without one).

In process and in memory: each service process limits what it serves, which is what protects
it. Over the limit, the answer is a 429 problem with `Retry-After`.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from .problems import MEDIA_TYPE, problem_body

EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass
class Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Token buckets keyed by caller; `take` says how long to wait, 0 when allowed."""

    def __init__(self, rate: float, burst: float, *, capacity: int = 100_000) -> None:
        self.rate, self.burst, self.capacity = rate, burst, capacity
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def take(self, key: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key) or Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[key] = bucket
        self._buckets.move_to_end(key)
        if len(self._buckets) > self.capacity:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate


def _caller_key(scope: Scope) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            return "t:" + hashlib.sha256(value).hexdigest()[:32]
    client = scope.get("client") or ("unknown", 0)
    return f"a:{client[0]}"


class RateLimit:
    """ASGI middleware answering 429 when a caller exceeds `rate` requests/s (bursts up to `burst`)."""

    def __init__(self, app: ASGIApp, rate: float, burst: float) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate, burst) if rate > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is None or scope["type"] != "http" or scope.get("path") in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(_caller_key(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        body = json.dumps(problem_body(429, f"too many requests for this token; retry in {retry_after} s")).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after).encode())]})
        await send({"type": "http.response.body", "body": body})
