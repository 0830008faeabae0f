"""How a backup or a restore tells what it is doing (the CLI draws it with rich; tests pass Silent)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Stages one after the other, each with an optional total (bytes) and how far it got."""

    def stage(self, name: str, total: int | None = None) -> None:
        """A new stage begins (the previous one is done)."""

    def advance(self, completed: int) -> None:
        """The current stage has completed this much of its total."""

    def note(self, text: str) -> None:
        """Something the operator should read."""


class Silent:
    """Progress that shows nothing."""

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, completed: int) -> None:
        pass

    def note(self, text: str) -> None:
        pass
