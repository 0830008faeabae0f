"""Checking the notary's signed checkpoints against the log, one message at a time in order (pure, no I/O).

Before reading: every checkpoint must be readable, of this log, and signed by the notary's key;
each must cover more events than the one before. While the log's stored bytes stream past, the
tree is rebuilt leaf by leaf and, at each checkpoint's size, its root must be the checkpoint's:
then every event up to there is in the log exactly as it was when signed. Between each
checkpoint and the next an RFC 9162 consistency proof is generated from the log and verified
against both signed roots, as an auditor would check the notary's own history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.notary.checkpoints import Checkpoint, Recorded
from shared.notary.keys import NotaryKey
from shared.notary.merkle import Frontier, leaf_hash, verify_consistency
from shared.notary.proofs import ProofPlan


@dataclass(frozen=True)
class CheckpointBreak:
    """A checkpoint that is not what it claims, or the log not being what a checkpoint says."""

    number: int | None    # the checkpoint's number; None for a problem of the log itself
    size: int | None
    problem: str

    def __str__(self) -> str:
        if self.number is None:
            return f"log: {self.problem}"
        size = "" if self.size is None else f" (size {self.size:,})"
        return f"checkpoint {self.number}{size} {self.problem}"


@dataclass(frozen=True)
class CheckpointReport:
    """What checking the checkpoints found."""

    checkpoints: int              # how many were read
    matching: int                 # signed by the notary and matching the log
    key_id: str
    latest: Checkpoint | None     # the last readable one
    covered: int                  # events covered by the last checkpoint that matched the log
    break_count: int
    breaks: tuple[CheckpointBreak, ...]  # the first `limit`, checks before reading first

    @property
    def intact(self) -> bool:
        return self.break_count == 0


@dataclass(frozen=True)
class _Signed:
    number: int
    size: int
    root: bytes


class CheckpointChecker:
    """Follows the log's Merkle tree through the log, checking each signed checkpoint on the way."""

    def __init__(self, log: str, key: NotaryKey, recorded: Sequence[Recorded], *, limit: int = 100) -> None:
        self._key, self._limit = key, limit
        self._breaks: list[CheckpointBreak] = []
        self._break_count = 0
        self._count = len(recorded)
        self._latest = next((r.checkpoint for r in reversed(recorded) if r.checkpoint), None)
        self._frontier = Frontier()
        self._missing_reported = False
        self._matching, self._covered = 0, 0
        self._waiting: dict[int, list[_Signed]] = {}   # size -> signed checkpoints of that size
        self._line: list[_Signed] = []                 # signed checkpoints that grow, in order
        for record in recorded:
            signed = self._signed(log, record)
            if signed is not None:
                self._waiting.setdefault(signed.size, []).append(signed)
        self._next = 0                                 # the next checkpoint of the line to reach
        self._plan: ProofPlan | None = None            # proof from line[next - 1] to line[next]

    def _signed(self, log: str, record: Recorded) -> _Signed | None:
        checkpoint = record.checkpoint
        if checkpoint is None:
            self._break(record.number, None, f"is unreadable: {record.unreadable}")
            return None
        number, size = record.number, checkpoint.size
        if checkpoint.log != log:
            self._break(number, size, f"is a checkpoint of another log ({checkpoint.log})")
            return None
        if not self._key.verifies(checkpoint):
            self._break(number, size, f"has a signature that does not verify with the notary key "
                                      f"(key id {self._key.key_id.hex()}): it was forged or altered")
            return None
        problem = checkpoint.frontier_problem()
        if problem:  # unsigned, only for the notary's resumption: the signed claim still stands
            self._break(number, size, problem)
        signed = _Signed(number, size, checkpoint.root)
        if self._line and size <= self._line[-1].size:
            self._break(number, size, f"does not grow: checkpoint {self._line[-1].number} "
                                      f"already covered {self._line[-1].size:,} events")
        else:
            self._line.append(signed)
        return signed

    def _break(self, number: int | None, size: int | None, problem: str) -> None:
        self._break_count += 1
        if len(self._breaks) < self._limit:
            self._breaks.append(CheckpointBreak(number, size, problem))

    def feed(self, sequence: int, payload: bytes) -> None:
        """The next message of the log: its sequence and its stored bytes."""
        frontier = self._frontier
        if sequence != frontier.size + 1 and not self._missing_reported:
            self._missing_reported = True  # every later leaf is misplaced: say it once
            self._break(None, None, f"sequence {frontier.size + 1:,} is missing (the next message is "
                                    f"{sequence:,}): later events no longer sit where they were signed")
        frontier.append(leaf_hash(payload), self._plan.watch if self._plan else None)
        if frontier.size in self._waiting:
            self._reach(frontier.size)

    def _reach(self, size: int) -> None:
        root = self._frontier.root()
        for signed in self._waiting.pop(size):
            if signed.root == root:
                self._matching += 1
                self._covered = max(self._covered, size)
            else:
                where = (f"something between sequences {self._covered + 1:,} and {size:,} was changed (the "
                         f"first {self._covered:,} still match)" if self._covered
                         else f"something up to sequence {size:,} was changed")
                self._break(signed.number, size, f"root differs: {where}")
        line = self._line
        if self._next < len(line) and line[self._next].size == size:
            if self._plan is not None:
                self._prove(line[self._next - 1], line[self._next], self._plan.proof())
            self._next += 1
            following = line[self._next].size if self._next < len(line) else None
            self._plan = ProofPlan.consistency(size, following, self._frontier) if following else None

    def _prove(self, first: _Signed, second: _Signed, proof: list[bytes]) -> None:
        if not verify_consistency(first.size, second.size, first.root, second.root, proof):
            self._break(second.number, second.size,
                        f"is not consistent with checkpoint {first.number} (size {first.size:,}): "
                        "the RFC 9162 consistency proof built from the log fails against their signed roots")

    def finish(self) -> CheckpointReport:
        """The report, once the log has been read to its end."""
        end = self._frontier.size
        for size in sorted(self._waiting):
            for signed in self._waiting[size]:
                self._break(signed.number, size, f"is beyond the end of the log ({end:,} events): "
                                                 "events signed for were removed from its end")
        self._waiting.clear()
        return CheckpointReport(self._count, self._matching, self._key.key_id.hex(), self._latest, self._covered,
                                self._break_count, tuple(self._breaks))
