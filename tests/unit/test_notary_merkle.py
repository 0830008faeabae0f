"""RFC 9162 Merkle trees: known roots and proofs, every proof up to 40 leaves, tampering, random sizes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.notary.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    consistency_ranges,
    fold,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    mth,
    node_hash,
    perfect_nodes,
    split_point,
    verify_consistency,
    verify_inclusion,
)

# The eight entries of the Certificate Transparency reference tests, and the published MTH of
# the first n of them (certificate-transparency merkle_tree_test, transparency-dev/merkle).
CT_ENTRIES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                          "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
# Published proofs over the same entries: (m, n) -> hashes.
CT_CONSISTENCY = {
    (1, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
}
CT_INCLUSION_IN_7 = {  # PATH(m, D[7])
    0: ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"],
}


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def naive_mth(entries: list[bytes]) -> bytes:
    """MTH exactly as §2.1.1 writes it, over entries (not leaf hashes)."""
    n = len(entries)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + entries[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + naive_mth(entries[:k]) + naive_mth(entries[k:]))


def naive_path(m: int, entries: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) exactly as §2.1.3.1 writes it."""
    n = len(entries)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, entries[:k]), naive_mth(entries[k:])]
    return [*naive_path(m - k, entries[k:]), naive_mth(entries[:k])]


def naive_subproof(m: int, entries: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) exactly as §2.1.4.1 writes it."""
    n = len(entries)
    if m == n:
        return [] if whole else [naive_mth(entries)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(m, entries[:k], whole), naive_mth(entries[k:])]
    return [*naive_subproof(m - k, entries[k:], False), naive_mth(entries[:k])]


def entries_of(n: int) -> list[bytes]:
    return [f"event {i}".encode() for i in range(n)]


def hex_list(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


ENTRIES_40 = entries_of(40)
LEAVES_40 = [leaf_hash(e) for e in ENTRIES_40]


# --- hashing ----------------------------------------------------------------------------------

def test_leaf_and_node_hashes_carry_the_rfc_domain_prefixes() -> None:
    assert leaf_hash(b"abc") == sha256(b"\x00abc")
    assert node_hash(b"L" * 32, b"R" * 32) == sha256(b"\x01" + b"L" * 32 + b"R" * 32)


def test_the_empty_tree_hashes_to_the_sha256_of_nothing() -> None:
    assert mth([]) == EMPTY_ROOT == sha256(b"") == Frontier().root()


def test_small_trees_hash_as_computed_by_hand() -> None:
    a, b, c = (leaf_hash(x) for x in (b"a", b"b", b"c"))

    assert mth([b"a"]) == a
    assert mth([b"a", b"b"]) == node_hash(a, b)
    assert mth([b"a", b"b", b"c"]) == node_hash(node_hash(a, b), c)  # k = 2: the left side is the larger


@pytest.mark.parametrize("n", sorted(CT_ROOTS))
def test_the_reference_entries_hash_to_the_published_roots(n: int) -> None:
    frontier = Frontier()
    for entry in CT_ENTRIES[:n]:
        frontier.append(leaf_hash(entry))

    assert mth(CT_ENTRIES[:n]).hex() == frontier.root().hex() == CT_ROOTS[n]


@pytest.mark.parametrize(("m", "n"), sorted(CT_CONSISTENCY))
def test_consistency_proofs_of_the_reference_entries_are_the_published_ones(m: int, n: int) -> None:
    leaves = [leaf_hash(e) for e in CT_ENTRIES[:n]]
    proof = consistency_proof(m, leaves)

    assert hex_list(proof) == CT_CONSISTENCY[(m, n)]
    assert verify_consistency(m, n, bytes.fromhex(CT_ROOTS[m]), bytes.fromhex(CT_ROOTS[n]), proof)


def test_inclusion_proofs_of_the_reference_entries_are_the_published_ones() -> None:
    leaves = [leaf_hash(e) for e in CT_ENTRIES[:7]]

    assert hex_list(inclusion_proof(0, leaves)) == CT_INCLUSION_IN_7[0]


def test_split_point_is_the_largest_power_of_two_below_n() -> None:
    assert [split_point(n) for n in range(2, 11)] == [1, 2, 2, 4, 4, 4, 4, 8, 8]


@pytest.mark.parametrize("n", range(0, 70))
def test_the_frontier_root_equals_the_recursive_mth_for_every_size(n: int) -> None:
    frontier = Frontier()
    for entry in entries_of(n):
        frontier.append(leaf_hash(entry))

    assert frontier.root() == naive_mth(entries_of(n))
    assert len(frontier.hashes) == n.bit_count()
    assert [root for _, root in frontier.nodes()] == list(frontier.hashes)


def test_a_frontier_rebuilt_from_its_hashes_continues_the_same_tree() -> None:
    frontier = Frontier()
    for leaf in LEAVES_40[:23]:
        frontier.append(leaf)
    resumed = Frontier(frontier.size, frontier.hashes)
    for leaf in LEAVES_40[23:]:
        resumed.append(leaf)

    assert resumed.root() == naive_mth(ENTRIES_40)


def test_a_frontier_with_the_wrong_number_of_hashes_is_refused() -> None:
    with pytest.raises(ValueError, match="has 3 subtree roots"):
        Frontier(7, [b"x" * 32] * 2)


def test_perfect_nodes_split_a_ragged_range_into_aligned_subtrees() -> None:
    assert perfect_nodes(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert perfect_nodes(8, 15) == [(2, 2), (1, 6), (0, 14)]
    assert fold([LEAVES_40[0]]) == LEAVES_40[0]


# --- inclusion --------------------------------------------------------------------------------

@pytest.mark.parametrize("n", range(1, 41))
def test_every_inclusion_proof_up_to_40_leaves_is_the_rfc_path_and_verifies(n: int) -> None:
    root = naive_mth(ENTRIES_40[:n])
    for index in range(n):
        proof = inclusion_proof(index, LEAVES_40[:n])

        assert proof == naive_path(index, ENTRIES_40[:n])
        assert verify_inclusion(index, n, LEAVES_40[index], proof, root)


def test_an_inclusion_proof_fails_for_a_tampered_leaf_proof_root_index_or_size() -> None:
    n, index = 27, 11
    proof, root, leaf = inclusion_proof(index, LEAVES_40[:n]), naive_mth(ENTRIES_40[:n]), LEAVES_40[index]
    flipped = bytes([proof[2][0] ^ 1]) + proof[2][1:]

    assert verify_inclusion(index, n, leaf, proof, root)
    assert not verify_inclusion(index, n, leaf_hash(b"event 11 (altered)"), proof, root)
    assert not verify_inclusion(index, n, leaf, [*proof[:2], flipped, *proof[3:]], root)
    assert not verify_inclusion(index, n, leaf, proof[:-1], root)
    assert not verify_inclusion(index, n, leaf, [*proof, proof[0]], root)
    assert not verify_inclusion(index, n, leaf, proof, naive_mth(ENTRIES_40[:n + 1]))
    assert not verify_inclusion(index + 1, n, leaf, proof, root)
    assert not verify_inclusion(index, n + 10, leaf, proof, root)  # a size whose tree has another shape
    assert not verify_inclusion(n, n, leaf, proof, root)
    assert not verify_inclusion(index, n, leaf, [h[:31] for h in proof], root)


def test_inclusion_ranges_refuse_a_leaf_outside_the_tree() -> None:
    with pytest.raises(ValueError):
        inclusion_ranges(5, 5)


# --- consistency ------------------------------------------------------------------------------

def test_every_consistency_proof_up_to_40_leaves_is_the_rfc_proof_and_verifies() -> None:
    for n in range(1, 41):
        second = naive_mth(ENTRIES_40[:n])
        for m in range(1, n + 1):
            proof = consistency_proof(m, LEAVES_40[:n])

            assert proof == naive_subproof(m, ENTRIES_40[:n], True), (m, n)
            assert verify_consistency(m, n, naive_mth(ENTRIES_40[:m]), second, proof), (m, n)


def test_a_consistency_proof_from_a_rewritten_log_fails_against_the_signed_heads() -> None:
    for m, n in ((3, 7), (5, 9), (6, 8), (13, 40), (17, 33), (31, 32)):
        rewritten = [*ENTRIES_40[:m - 1], b"altered", *ENTRIES_40[m:n]]  # the last leaf of the old tree
        proof = consistency_proof(m, [leaf_hash(e) for e in rewritten])

        assert not verify_consistency(m, n, naive_mth(ENTRIES_40[:m]), naive_mth(rewritten), proof), (m, n)
        assert not verify_consistency(m, n, naive_mth(ENTRIES_40[:m]), naive_mth(ENTRIES_40[:n]), proof), (m, n)


def test_when_the_older_size_is_a_power_of_two_only_the_log_s_own_root_shows_its_rewrite() -> None:
    # The verifier takes MTH(D[0:m]) from the old head, not from the proof (§2.1.4.2 step 2), so
    # a proof built from a log whose first m entries changed still verifies against honest heads:
    # the audit also recomputes the log's own root at m.
    for m, n in ((1, 8), (4, 9), (16, 33)):
        rewritten = [*ENTRIES_40[:m - 1], b"altered", *ENTRIES_40[m:n]]
        proof = consistency_proof(m, [leaf_hash(e) for e in rewritten])

        assert verify_consistency(m, n, naive_mth(ENTRIES_40[:m]), naive_mth(ENTRIES_40[:n]), proof), (m, n)
        assert naive_mth(rewritten[:m]) != naive_mth(ENTRIES_40[:m])


def test_a_consistency_proof_fails_for_tampered_hashes_roots_or_sizes() -> None:
    m, n = 11, 29
    first, second = naive_mth(ENTRIES_40[:m]), naive_mth(ENTRIES_40[:n])
    proof = consistency_proof(m, LEAVES_40[:n])

    assert verify_consistency(m, n, first, second, proof)
    for position in range(len(proof)):
        tampered = list(proof)
        tampered[position] = bytes([tampered[position][0] ^ 0x80]) + tampered[position][1:]
        assert not verify_consistency(m, n, first, second, tampered), position
    assert not verify_consistency(m, n, second, first, proof)
    assert not verify_consistency(m, n, first, naive_mth(ENTRIES_40[:n + 1]), proof)
    assert not verify_consistency(m + 1, n, first, second, proof)
    assert not verify_consistency(m, n + 10, first, second, proof)  # a size whose tree has another shape
    assert not verify_consistency(m, n, first, second, proof[:-1])
    assert not verify_consistency(m, n, first, second, [*proof, proof[-1]])
    assert not verify_consistency(n, m, second, first, proof)


def test_a_power_of_two_older_tree_needs_no_hash_of_its_own_in_the_proof() -> None:
    proof = consistency_proof(8, LEAVES_40[:13])

    assert consistency_ranges(8, 13) == [(8, 13)]  # the verifier takes MTH(D[0:8]) from the old head
    assert verify_consistency(8, 13, naive_mth(ENTRIES_40[:8]), naive_mth(ENTRIES_40[:13]), proof)
    assert not verify_consistency(8, 13, naive_mth(ENTRIES_40[1:9]), naive_mth(ENTRIES_40[:13]), proof)


def test_equal_sizes_and_the_empty_tree_are_consistent_only_with_an_empty_proof() -> None:
    root = naive_mth(ENTRIES_40[:9])

    assert consistency_ranges(9, 9) == []
    assert verify_consistency(9, 9, root, root, [])
    assert not verify_consistency(9, 9, root, naive_mth(ENTRIES_40[:8]), [])
    assert not verify_consistency(9, 9, root, root, [root])
    assert verify_consistency(0, 9, EMPTY_ROOT, root, [])
    assert not verify_consistency(0, 9, root, root, [])
    assert not verify_consistency(5, 9, naive_mth(ENTRIES_40[:5]), root, [])  # step 1: an empty path fails


def test_consistency_ranges_refuse_a_shrinking_or_empty_tree() -> None:
    for first, second in ((5, 4), (0, 4), (-1, 3)):
        with pytest.raises(ValueError):
            consistency_ranges(first, second)


# --- random sizes -----------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=3000).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(min_value=1, max_value=n), st.integers(min_value=0, max_value=n - 1))))
def test_proofs_verify_for_random_sizes(case: tuple[int, int, int]) -> None:
    n, m, index = case
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    frontier = Frontier()
    roots = {}
    for leaf in leaves:
        frontier.append(leaf)
        roots[frontier.size] = frontier.root()

    assert verify_inclusion(index, n, leaves[index], inclusion_proof(index, leaves), roots[n])
    assert verify_consistency(m, n, roots[m], roots[n], consistency_proof(m, leaves))
    assert len(consistency_proof(m, leaves)) <= 2 * n.bit_length()


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=2, max_value=600).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(min_value=1, max_value=n - 1),
                        st.integers(min_value=0, max_value=n - 1))))
def test_a_changed_leaf_is_caught_by_the_consistency_proof_or_the_log_s_root(case: tuple[int, int, int]) -> None:
    n, m, changed = case
    honest = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    altered = list(honest)
    altered[changed] = leaf_hash(b"altered")
    proof = consistency_proof(m, altered)

    verifies = verify_consistency(m, n, fold_root(honest[:m]), fold_root(honest[:n]), proof)

    if changed >= m or m & (m - 1):  # in the new part, or an old size the proof spells out
        assert not verifies
    else:
        assert fold_root(altered[:m]) != fold_root(honest[:m])


def fold_root(leaves: list[bytes]) -> bytes:
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()
