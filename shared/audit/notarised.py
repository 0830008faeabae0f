"""The log against the notary's checkpoints: reading them for verify, and the proofs an auditor asks for.

Proofs are built from the log itself, read from sequence 1 (there is no stored tree: the log is
the only record), keeping only the subtree roots they need (`shared/notary/proofs.py`). Each
result also says whether the log as it is now still has the checkpoints' roots: an RFC
consistency proof alone cannot say so when the older size is a power of two, since the verifier
then takes that subtree's root from the checkpoint, not from the proof.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from nats.js import JetStreamContext

from shared.bus.eventlog import EventLog
from shared.notary.checkpoints import Checkpoint, Recorded
from shared.notary.keys import NotaryKey
from shared.notary.merkle import Frontier, leaf_hash, verify_consistency, verify_inclusion
from shared.notary.proofs import ProofPlan
from shared.notary.store import CheckpointStore

from .checkpoints import CheckpointChecker
from .reader import connection_of, last_sequence, read_log


class NoNotaryKey(RuntimeError):
    """There are checkpoints to check but no public key to check their signatures with."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} checkpoints to check, but no notary public key to check them with")
        self.count = count


async def read_checkpoints(js: JetStreamContext, *, stream: str, subject_prefix: str) -> list[Recorded]:
    """Every checkpoint of the log, in order (none if the notary never ran)."""
    store = CheckpointStore(js, log_stream=stream, subject_prefix=subject_prefix)
    return [recorded async for recorded in store.all()]


async def checkpoint_checker(js: JetStreamContext, *, stream: str, subject_prefix: str, key: NotaryKey | None,
                             limit: int = 100) -> CheckpointChecker | None:
    """A checker for verify over the checkpoints as they are now; None if there are none."""
    recorded = await read_checkpoints(js, stream=stream, subject_prefix=subject_prefix)
    if not recorded:
        return None
    if key is None:
        raise NoNotaryKey(len(recorded))
    return CheckpointChecker(stream, key, recorded, limit=limit)


@dataclass(frozen=True)
class LogTree:
    """What reading the log's first events produced: how many there were, and roots along the way."""

    size: int                   # events read (fewer than asked if the log is shorter)
    roots: dict[int, bytes]     # size -> MTH of the first `size` events, for the sizes asked


async def _read_tree(js_or_log: JetStreamContext | EventLog, stream: str, sizes: set[int],
                     plan: ProofPlan | None, capture: int | None = None) -> tuple[LogTree, bytes | None]:
    _, js = connection_of(js_or_log)
    last = min(max(sizes), await last_sequence(js, stream))
    frontier, roots, captured = Frontier(), {}, None
    watch = plan.watch if plan else None
    async for record in read_log(js_or_log, stream=stream, first=1, last=last):
        if record.sequence != frontier.size + 1:
            break  # a hole: nothing after it sits where it was signed
        frontier.append(leaf_hash(record.payload), watch)
        if frontier.size == capture:
            captured = record.payload
        if frontier.size in sizes:
            roots[frontier.size] = frontier.root()
    return LogTree(frontier.size, roots), captured


@dataclass(frozen=True)
class ConsistencyResult:
    """A consistency proof from an older checkpoint to a newer one, built from the log, and its checks."""

    first: Checkpoint
    second: Checkpoint
    proof: tuple[bytes, ...]
    proof_verifies: bool       # RFC 9162 §2.1.4.2 against both signed roots
    log_size: int              # events the log had of the `second.size` asked for
    first_root_in_log: bool    # the log's first `first.size` events still hash to first.root
    second_root_in_log: bool

    @property
    def passed(self) -> bool:
        return self.proof_verifies and self.first_root_in_log and self.second_root_in_log


async def prove_consistency(js_or_log: JetStreamContext | EventLog, *, stream: str, first: Checkpoint,
                            second: Checkpoint) -> ConsistencyResult:
    """Prove from the log that `second` extends `first` (first.size <= second.size)."""
    if first.size > second.size:
        raise ValueError(f"the older checkpoint covers {first.size:,} events, more than the newer ({second.size:,})")
    plan = ProofPlan.consistency(first.size, second.size, Frontier())
    tree, _ = await _read_tree(js_or_log, stream, {first.size, second.size}, plan)
    proof = tuple(plan.proof()) if tree.size == second.size else ()
    return ConsistencyResult(
        first, second, proof,
        proof_verifies=tree.size == second.size and verify_consistency(first.size, second.size, first.root,
                                                                       second.root, proof),
        log_size=tree.size, first_root_in_log=tree.roots.get(first.size) == first.root,
        second_root_in_log=tree.roots.get(second.size) == second.root)


@dataclass(frozen=True)
class InclusionResult:
    """An inclusion proof of one event in a checkpoint's tree, built from the log, and its checks."""

    sequence: int
    checkpoint: Checkpoint
    event: dict[str, str]      # the event's id and type, when its bytes are an event
    leaf: bytes                # SHA-256(0x00 || the stored bytes)
    proof: tuple[bytes, ...]
    proof_verifies: bool       # RFC 9162 §2.1.3.2 against the signed root
    root_in_log: bool          # the log's first `checkpoint.size` events still hash to its root

    @property
    def passed(self) -> bool:
        return self.proof_verifies and self.root_in_log


async def prove_inclusion(js_or_log: JetStreamContext | EventLog, *, stream: str, sequence: int,
                          checkpoint: Checkpoint) -> InclusionResult:
    """Prove from the log that event `sequence` is in the tree `checkpoint` signed (sequence <= its size)."""
    if not 1 <= sequence <= checkpoint.size:
        raise ValueError(f"sequence {sequence:,} is not among the {checkpoint.size:,} events the checkpoint covers")
    plan = ProofPlan.inclusion(sequence - 1, checkpoint.size, Frontier())
    tree, payload = await _read_tree(js_or_log, stream, {checkpoint.size}, plan, capture=sequence)
    complete = tree.size == checkpoint.size and payload is not None
    proof = tuple(plan.proof()) if complete else ()
    leaf = leaf_hash(payload) if payload is not None else b""
    return InclusionResult(
        sequence, checkpoint, _event_names(payload), leaf, proof,
        proof_verifies=complete and verify_inclusion(sequence - 1, checkpoint.size, leaf, proof, checkpoint.root),
        root_in_log=tree.roots.get(checkpoint.size) == checkpoint.root)


def _event_names(payload: bytes | None) -> dict[str, str]:
    try:
        event = json.loads(payload or b"")
    except ValueError:
        return {}
    if not isinstance(event, dict):
        return {}
    return {name: event[name] for name in ("id", "type") if isinstance(event.get(name), str)}
