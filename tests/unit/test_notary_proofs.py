"""Proofs gathered while leaves stream past equal the proofs computed over all the leaves."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.notary.merkle import Frontier, consistency_proof, inclusion_proof, leaf_hash
from shared.notary.proofs import ProofPlan

LEAVES = [leaf_hash(f"event {i}".encode()) for i in range(300)]


def stream(plan: ProofPlan, frontier: Frontier, upto: int) -> None:
    while frontier.size < upto:
        frontier.append(LEAVES[frontier.size], plan.watch)


def test_every_streamed_consistency_proof_up_to_40_leaves_equals_the_computed_one() -> None:
    for n in range(1, 41):
        for m in range(1, n + 1):
            frontier = Frontier()
            plan = ProofPlan.consistency(m, n, frontier)
            stream(plan, frontier, n)

            assert plan.complete and plan.proof() == consistency_proof(m, LEAVES[:n]), (m, n)


def test_a_consistency_proof_planned_on_reaching_the_older_size_needs_only_what_is_still_to_come() -> None:
    for n in range(2, 41):
        for m in range(1, n):
            frontier = Frontier()
            for leaf in LEAVES[:m]:
                frontier.append(leaf)
            plan = ProofPlan.consistency(m, n, frontier)  # as verify does, checkpoint after checkpoint
            stream(plan, frontier, n)

            assert plan.proof() == consistency_proof(m, LEAVES[:n]), (m, n)


def test_every_streamed_inclusion_proof_up_to_40_leaves_equals_the_computed_one() -> None:
    for n in range(1, 41):
        for index in range(n):
            frontier = Frontier()
            plan = ProofPlan.inclusion(index, n, frontier)
            stream(plan, frontier, n)

            assert plan.proof() == inclusion_proof(index, LEAVES[:n]), (index, n)


def test_a_proof_asked_for_before_the_tree_is_complete_names_what_is_missing() -> None:
    frontier = Frontier()
    plan = ProofPlan.consistency(3, 20, frontier)
    stream(plan, frontier, 10)

    assert not plan.complete
    with pytest.raises(ValueError, match="still needs"):
        plan.proof()


def test_a_plan_refuses_subtrees_that_were_completed_and_forgotten() -> None:
    frontier = Frontier()
    for leaf in LEAVES[:8]:
        frontier.append(leaf)

    with pytest.raises(ValueError, match="completed before size 8"):
        ProofPlan.inclusion(2, 12, frontier)  # leaf 2's siblings inside [0, 8) are gone


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=300).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(min_value=1, max_value=n - 1))))
def test_streamed_proofs_hold_for_random_sizes(case: tuple[int, int]) -> None:
    n, m = case
    frontier = Frontier()
    plans = [ProofPlan.consistency(m, n, frontier), ProofPlan.inclusion(m, n, frontier)]
    watch = {**plans[0].watch, **plans[1].watch}
    for leaf in LEAVES[:n]:
        frontier.append(leaf, watch)
    for plan in plans:
        plan.watch.update({node: watch[node] for node in plan.watch})

    assert plans[0].proof() == consistency_proof(m, LEAVES[:n])
    assert plans[1].proof() == inclusion_proof(m, LEAVES[:n])
    assert len(watch) <= 2 * n.bit_length() ** 2
