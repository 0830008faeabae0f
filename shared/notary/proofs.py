"""Proofs built while the log streams past: only the subtree roots they need are kept (pure).

A proof lists MTHs of ranges (merkle.py), each the fold of a few perfect subtrees. A `ProofPlan`
watches for exactly those subtrees as a `Frontier` completes them, so proving anything about a
log of millions of events keeps O(log² n) hashes, not one per event.
"""

from __future__ import annotations

from collections.abc import Sequence

from .merkle import Frontier, Node, Range, consistency_ranges, fold, inclusion_ranges, perfect_nodes


class ProofPlan:
    """The ranges of one proof, and the subtree roots gathered for them so far."""

    def __init__(self, ranges: Sequence[Range], frontier: Frontier) -> None:
        self.ranges = list(ranges)
        self.watch: dict[Node, bytes | None] = {node: None for start, end in self.ranges
                                                for node in perfect_nodes(start, end)}
        # Subtrees already complete are roots of the frontier (a proof planned at size m names
        # only frontier roots left of m: the path of leaf m - 1); anything else is a bug.
        for node, root in frontier.nodes():
            if node in self.watch:
                self.watch[node] = root
        for level, index in self.watch:
            if self.watch[(level, index)] is None and (index + 1) << level <= frontier.size:
                raise ValueError(f"subtree {(level, index)} was completed before size {frontier.size}")

    @classmethod
    def inclusion(cls, index: int, size: int, frontier: Frontier) -> ProofPlan:
        """Plan the inclusion proof of leaf `index` in the tree of `size` leaves."""
        return cls(inclusion_ranges(index, size), frontier)

    @classmethod
    def consistency(cls, first: int, second: int, frontier: Frontier) -> ProofPlan:
        """Plan the consistency proof from the tree of `first` leaves to that of `second`."""
        return cls(consistency_ranges(first, second), frontier)

    @property
    def complete(self) -> bool:
        return all(root is not None for root in self.watch.values())

    def proof(self) -> list[bytes]:
        """The proof's hashes, in the RFC's order (once the frontier has reached its size)."""
        missing = [node for node, root in self.watch.items() if root is None]
        if missing:
            raise ValueError(f"the proof still needs {len(missing)} subtrees, e.g. {missing[0]}")
        roots: dict[Node, bytes] = self.watch  # type: ignore[assignment]  # all filled in now
        return [fold([roots[node] for node in perfect_nodes(start, end)]) for start, end in self.ranges]
