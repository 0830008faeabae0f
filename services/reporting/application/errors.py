"""What a read can answer instead of data; the HTTP edge maps each to its problem."""

from __future__ import annotations


class NotVisible(LookupError):
    """No such thing, or not one the caller may see (the two are not told apart): 404."""

    def __init__(self, what: str, id_: str) -> None:
        super().__init__(f"no {what} {id_} that you may see")


class NotAllowed(PermissionError):
    """The caller's role or scope does not allow this read: 403."""


class BadQuery(ValueError):
    """A query parameter has a bad value: 422."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field, self.detail = field, detail


class NotCaughtUp(RuntimeError):
    """The read models have not reached the sequence asked for in time: 503."""
