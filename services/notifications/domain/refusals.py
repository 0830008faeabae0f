"""Expected refusals as values: each becomes an RFC 9457 problem at the HTTP edge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request cannot be done, with the HTTP status that says so."""

    status: int
    detail: str
    field: str | None = None


def forbidden(detail: str) -> Refusal:
    return Refusal(403, detail)


def not_found(detail: str) -> Refusal:
    return Refusal(404, detail)


def conflict(detail: str) -> Refusal:
    return Refusal(409, detail)


def invalid(field: str, detail: str) -> Refusal:
    return Refusal(422, detail, field)


def unavailable(detail: str) -> Refusal:
    return Refusal(503, detail)
