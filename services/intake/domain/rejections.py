"""Expected refusals as values: each becomes an RFC 9457 problem at the HTTP edge."""

from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an event cannot be appended, with the HTTP status that says so."""

    status: int
    kind: str      # problem type slug, e.g. "wrong-state"
    title: str
    detail: str
    field: str | None = None
    current_version: int | None = None
    errors: tuple[tuple[str, str], ...] = dataclass_field(default=())  # (field, message) pairs


def forbidden(detail: str) -> Rejection:
    return Rejection(403, "forbidden", "Not allowed", detail)


def unknown(field: str, detail: str) -> Rejection:
    return Rejection(404, "unknown-reference", "Unknown reference", detail, field=field)


def wrong_state(detail: str, field: str | None = None) -> Rejection:
    return Rejection(409, "wrong-state", "Conflict with the current state", detail, field=field)


def invalid(field: str, detail: str) -> Rejection:
    return Rejection(422, "validation", "Invalid event", detail, field=field)


def version_conflict(expected: int, current: int) -> Rejection:
    return Rejection(409, "version-conflict", "Version conflict",
                     f"expected version {expected}, the aggregate is at version {current}",
                     current_version=current)
