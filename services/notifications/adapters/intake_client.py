"""Posting answers through the intake's validated append path (`POST /v1/events`).

The answer is authored by whoever the link speaks for: a short-lived institution token is
minted for them, so the intake applies exactly the validation and authorisation it applies to
an institution's own system, and the event is in the same log with that author.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from shared.auth.tokens import TokenAuthority
from shared.roles import Role

TOKEN_TTL = timedelta(minutes=5)


class IntakeUnavailable(RuntimeError):
    """The intake could not be reached or answered 5xx: nothing is known to be appended."""


@dataclass(frozen=True, slots=True)
class IntakeAnswer:
    status: int
    body: dict[str, Any]

    @property
    def appended(self) -> bool:
        """Created now (201) or earlier with this very id and content (200 duplicate)."""
        return self.status in (200, 201)


class IntakeClient:
    """Port to the intake service."""

    def __init__(self, base_url: str, tokens: TokenAuthority, timeout: float = 10.0) -> None:
        self._tokens = tokens
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, trust_env=False)

    async def append(self, event: dict[str, Any], *, author: str, institution_id: str) -> IntakeAnswer:
        """Post one event as `author`, an institution's person or address."""
        token = self._tokens.mint(Role.INSTITUTION, author, institution=institution_id, ttl=TOKEN_TTL)
        try:
            response = await self._client.post("/v1/events", json=event, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            raise IntakeUnavailable(type(error).__name__) from error
        if response.status_code >= 500:
            raise IntakeUnavailable(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        return IntakeAnswer(response.status_code, body if isinstance(body, dict) else {})

    async def close(self) -> None:
        await self._client.aclose()
