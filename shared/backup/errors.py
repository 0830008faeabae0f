"""The ways a backup or a restore stops with a message for the operator (the CLI exits 2 on any of them)."""

from __future__ import annotations


class BackupError(RuntimeError):
    """A backup or a restore could not be done; the message says why and what to do."""
