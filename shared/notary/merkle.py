"""Merkle tree hashing and proofs of RFC 9162 (Certificate Transparency v2) §2.1 (pure, no I/O).

Leaf hash `SHA-256(0x00 || entry)`, interior node `SHA-256(0x01 || left || right)`; `MTH(D[n])`
splits its n entries at k, the largest power of two smaller than n. Proofs are lists of MTHs of
leaf ranges: which ranges is what the RFC's recursive definitions say (PATH, §2.1.3.1; PROOF and
SUBPROOF, §2.1.4.1), written here over ranges so the hashes can come from anywhere (a list of
leaves, or a `ProofPlan` filled while the log streams past). They are checked with the RFC's
iterative algorithms (§2.1.3.2, §2.1.4.2), step for step.

Every range a proof names starts on a multiple of a power of two at least as large as the range,
so its MTH is the right fold of the perfect subtrees it splits into greedily (`perfect_nodes`).
A perfect subtree is a `Node` (level, index): leaves `[index << level, (index + 1) << level)`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

Range = tuple[int, int]   # [start, end) of leaf indices
Node = tuple[int, int]    # (level, index) of a perfect subtree

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}), the root of the empty tree

_sha256 = hashlib.sha256


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    digest = _sha256(b"\x00")
    digest.update(entry)
    return digest.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, straight from the recursive definition (§2.1.1)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(subtree_root(leaves[:k]), subtree_root(leaves[k:]))


def mth(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of some entries (the reference for small trees)."""
    return subtree_root([leaf_hash(entry) for entry in entries])


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root over perfect subtrees laid left to right, largest first: fold from the right."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def perfect_nodes(start: int, end: int) -> list[Node]:
    """The perfect subtrees a proof's range [start, end) splits into, left to right."""
    nodes = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start & ((1 << level) - 1):  # not aligned: a smaller subtree first
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def frontier_nodes(size: int) -> list[Node]:
    """The perfect subtrees a tree of `size` leaves is made of, left to right."""
    return perfect_nodes(0, size)


class Frontier:
    """A tree of `size` leaves kept as the roots of its perfect subtrees (a "compact range").

    A tree's leaves split into perfect subtrees of the sizes of its size's binary digits
    (13 = 8 + 4 + 1), and MTH folds their roots from the right. Appending a leaf merges equal
    neighbours the way a binary counter carries, so any size needs at most log2(n) + 1 hashes.
    """

    __slots__ = ("size", "_hashes")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        self._hashes = list(hashes)
        if size < 0 or len(self._hashes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {max(size, 0).bit_count()} subtree roots, "
                             f"not {len(self._hashes)}")
        if any(len(h) != HASH_SIZE for h in self._hashes):
            raise ValueError("subtree roots are 32-byte SHA-256 hashes")
        self.size = size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The perfect subtrees' roots, left to right."""
        return tuple(self._hashes)

    def nodes(self) -> list[tuple[Node, bytes]]:
        """Each perfect subtree with its root."""
        return list(zip(frontier_nodes(self.size), self._hashes, strict=True))

    def append(self, leaf: bytes, watch: dict[Node, bytes | None] | None = None) -> None:
        """Add the next leaf hash; record in `watch` the subtrees it completes that are watched."""
        hashes, node, carry = self._hashes, leaf, self.size
        if watch and (0, carry) in watch:
            watch[(0, carry)] = node
        level = 0
        while carry & 1:
            node = node_hash(hashes.pop(), node)
            carry >>= 1
            level += 1
            if watch and (level, carry) in watch:  # this subtree's index is the old size >> level
                watch[(level, carry)] = node
        hashes.append(node)
        self.size += 1

    def root(self) -> bytes:
        """MTH of the leaves so far."""
        return fold(self._hashes)

    def copy(self) -> Frontier:
        return Frontier(self.size, self._hashes)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(m, D[n]) (§2.1.3.1) as the ranges whose MTHs it lists, the leaf's sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")

    def path(m: int, start: int, end: int) -> list[Range]:
        n = end - start
        if n == 1:
            return []
        k = split_point(n)
        if m < k:
            return [*path(m, start, start + k), (start + k, end)]
        return [*path(m - k, start + k, end), (start, start + k)]

    return path(index, 0, size)


def consistency_ranges(first: int, second: int) -> list[Range]:
    """PROOF(m, D[n]) (§2.1.4.1) as the ranges whose MTHs it lists; empty when m == n."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves (need 0 < m <= n)")

    def subproof(m: int, start: int, end: int, whole: bool) -> list[Range]:
        n = end - start
        if m == n:
            return [] if whole else [(start, end)]
        k = split_point(n)
        if m <= k:
            return [*subproof(m, start, start + k, whole), (start + k, end)]
        return [*subproof(m - k, start + k, end, False), (start, start + k)]

    return subproof(first, 0, second, True)


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The inclusion proof of leaf `index` in the tree over all `leaves` (leaf hashes)."""
    return [subtree_root(leaves[start:end]) for start, end in inclusion_ranges(index, len(leaves))]


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The consistency proof from the tree of the first `first` leaves to the tree of all `leaves`."""
    return [subtree_root(leaves[start:end]) for start, end in consistency_ranges(first, len(leaves))]


def _well_formed(hashes: Iterable[bytes]) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `proof` shows leaf hash `leaf` at `index` in the tree of `size` with `root` (§2.1.3.2)."""
    if not _well_formed([leaf, root, *proof]):
        return False
    if not 0 <= index < size:                                   # 1.
        return False
    fn, sn = index, size - 1                                    # 2.
    r = leaf                                                    # 3.
    for p in proof:                                             # 4.
        if sn == 0:                                             # 4a.
            return False
        if fn & 1 or fn == sn:                                  # 4b.
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1                               # 4c.
    return sn == 0 and r == root                                # 5.


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows the tree of `second` (second_root) extends that of `first` (§2.1.4.2).

    The RFC defines the check for 0 < first < second. Around it: equal sizes need the same root
    and an empty proof; the empty tree (size 0, MTH({})) is a prefix of every tree.
    """
    if not _well_formed([first_root, second_root, *proof]):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT and second >= 0
    if not 0 < first < second:
        return False
    path = list(proof)
    if not path:                                                # 1.
        return False
    if first & (first - 1) == 0:                                # 2. first is an exact power of 2
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1                              # 3.
    while fn & 1:                                               # 4.
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]                                           # 5.
    for c in path[1:]:                                          # 6.
        if sn == 0:                                             # 6a.
            return False
        if fn & 1 or fn == sn:                                  # 6b.
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1                               # 6c.
    return fr == first_root and sr == second_root and sn == 0  # 7.
