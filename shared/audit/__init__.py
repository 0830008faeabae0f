"""Auditing the log: replay stored events, verify every aggregate's hash chain."""

from .chains import Break, ChainChecker
from .filters import EventFilter, parse_instant
from .reader import LogRecord, ReadInterrupted, read_log
from .replay import UnreadableEvent, replay
from .verify import VerifyReport, verify_chains

__all__ = ["Break", "ChainChecker", "EventFilter", "LogRecord", "ReadInterrupted", "UnreadableEvent",
           "VerifyReport", "parse_instant", "read_log", "replay", "verify_chains"]
