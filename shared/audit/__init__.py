"""Auditing the log: replay stored events, verify every aggregate's hash chain and the notary's checkpoints.

`notarised` (proofs from the log against checkpoints) is imported from its module: it uses the
checkpoint store, which reads with this package's reader.
"""

from .chains import Break, ChainChecker
from .checkpoints import CheckpointBreak, CheckpointChecker, CheckpointReport
from .filters import EventFilter, parse_bound, parse_instant, unknown_types
from .reader import LogRecord, ReadInterrupted, read_log
from .replay import UnreadableEvent, replay
from .verify import VerifyReport, verify_chains

__all__ = ["Break", "ChainChecker", "CheckpointBreak", "CheckpointChecker", "CheckpointReport", "EventFilter",
           "LogRecord", "ReadInterrupted", "UnreadableEvent", "VerifyReport", "parse_bound", "parse_instant",
           "read_log", "replay", "unknown_types", "verify_chains"]
