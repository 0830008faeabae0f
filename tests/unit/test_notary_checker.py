"""Checking signed checkpoints against a log streamed past in order (verify's pure part)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.audit.checkpoints import CheckpointBreak, CheckpointChecker, CheckpointReport
from shared.notary.checkpoints import Checkpoint, Recorded
from shared.notary.keys import NotarySigner
from shared.notary.merkle import Frontier, leaf_hash

LOG = "EV_CHECKER"
PAYLOADS = [f'{{"id":"ev-{i}","n":{i}}}'.encode() for i in range(1, 21)]  # sequences 1..20
SIZES = (3, 8, 13, 20)


@pytest.fixture(scope="module")
def signer() -> NotarySigner:
    return NotarySigner(Ed25519PrivateKey.generate(), LOG)


def sign_at(signer: NotarySigner, payloads: list[bytes], sizes: tuple[int, ...]) -> list[Recorded]:
    frontier, recorded = Frontier(), []
    for payload in payloads:
        frontier.append(leaf_hash(payload))
        if frontier.size in sizes:
            recorded.append(Recorded(len(recorded) + 1, signer.sign(frontier, datetime(2025, 1, 1, tzinfo=UTC))))
    return recorded


def check(signer: NotarySigner, recorded: list[Recorded], log: list[tuple[int, bytes]]) -> CheckpointReport:
    checker = CheckpointChecker(LOG, signer.key, recorded)
    for sequence, payload in log:
        checker.feed(sequence, payload)
    return checker.finish()


def honest_log() -> list[tuple[int, bytes]]:
    return list(enumerate(PAYLOADS, start=1))


def test_checkpoints_of_an_untouched_log_all_match(signer: NotarySigner) -> None:
    report = check(signer, sign_at(signer, PAYLOADS, SIZES), honest_log())

    assert report.intact and report.breaks == ()
    assert (report.checkpoints, report.matching, report.covered) == (4, 4, 20)
    assert report.latest is not None and report.latest.size == 20
    assert report.key_id == signer.key.key_id.hex()


def test_a_rewritten_event_breaks_every_checkpoint_from_the_first_that_covers_it(signer: NotarySigner) -> None:
    log = honest_log()
    log[9] = (10, b'{"id":"ev-10","n":1000}')  # sequence 10, re-hashed or not: the bytes differ

    report = check(signer, sign_at(signer, PAYLOADS, SIZES), log)

    assert not report.intact and report.matching == 2 and report.covered == 8
    assert str(report.breaks[0]) == ("checkpoint 3 (size 13) root differs: something between sequences 9 "
                                     "and 13 was changed (the first 8 still match)")
    assert [(b.number, b.problem.split(":")[0]) for b in report.breaks] == [
        (3, "root differs"), (3, "is not consistent with checkpoint 2 (size 8)"),
        (4, "root differs"), (4, "is not consistent with checkpoint 3 (size 13)")]


def test_a_rewrite_before_the_first_checkpoint_names_the_whole_prefix(signer: NotarySigner) -> None:
    log = honest_log()
    log[0] = (1, b'{"id":"ev-1","n":-1}')

    report = check(signer, sign_at(signer, PAYLOADS, SIZES), log)

    assert str(report.breaks[0]) == "checkpoint 1 (size 3) root differs: something up to sequence 3 was changed"
    assert report.matching == 0


def test_a_forged_checkpoint_is_refused_and_not_compared_with_the_log(signer: NotarySigner) -> None:
    recorded = sign_at(signer, PAYLOADS, SIZES)
    honest = recorded[2].checkpoint
    assert honest is not None
    forged = Checkpoint(**{**vars(honest), "signature": bytes(64)})
    recorded[2] = Recorded(3, forged)

    report = check(signer, recorded, honest_log())

    assert report.break_count == 1 and report.matching == 3
    assert report.breaks[0] == CheckpointBreak(3, 13, "has a signature that does not verify with the notary key "
                                                      f"(key id {signer.key.key_id.hex()}): it was forged or altered")


def test_checkpoints_signed_by_another_notary_key_are_refused(signer: NotarySigner) -> None:
    impostor = NotarySigner(Ed25519PrivateKey.generate(), LOG)

    report = check(signer, sign_at(impostor, PAYLOADS, SIZES), honest_log())

    assert report.break_count == 4 and report.matching == 0
    assert all("does not verify with the notary key" in b.problem for b in report.breaks)


def test_a_log_cut_short_leaves_checkpoints_beyond_its_end(signer: NotarySigner) -> None:
    report = check(signer, sign_at(signer, PAYLOADS, SIZES), honest_log()[:15])

    assert [str(b) for b in report.breaks] == [
        "checkpoint 4 (size 20) is beyond the end of the log (15 events): events signed for were removed from its end"]


def test_a_missing_sequence_is_named_once(signer: NotarySigner) -> None:
    log = [entry for entry in honest_log() if entry[0] != 5]

    report = check(signer, sign_at(signer, PAYLOADS, SIZES), log)

    assert str(report.breaks[0]) == ("log: sequence 5 is missing (the next message is 6): later events no longer "
                                     "sit where they were signed")
    assert sum(b.number is None for b in report.breaks) == 1


def test_unreadable_foreign_and_shrinking_checkpoints_are_each_a_break(signer: NotarySigner) -> None:
    recorded = sign_at(signer, PAYLOADS, SIZES)
    other_log = NotarySigner(Ed25519PrivateKey.generate(), "OTHER").sign(Frontier(), None)
    smaller = sign_at(signer, PAYLOADS, (5,))[0].checkpoint
    recorded += [Recorded(5, None, "not JSON"), Recorded(6, other_log), Recorded(7, smaller)]

    report = check(signer, recorded, honest_log())

    assert [str(b) for b in report.breaks] == [
        "checkpoint 5 is unreadable: not JSON",
        "checkpoint 6 (size 0) is a checkpoint of another log (OTHER)",
        "checkpoint 7 (size 5) does not grow: checkpoint 4 already covered 20 events"]
    assert report.matching == 5  # the shrinking one is signed and does match the log


def test_the_breaks_listed_are_limited_but_all_are_counted(signer: NotarySigner) -> None:
    log = honest_log()
    log[0] = (1, b"{}")
    checker = CheckpointChecker(LOG, signer.key, sign_at(signer, PAYLOADS, SIZES), limit=2)
    for sequence, payload in log:
        checker.feed(sequence, payload)

    report = checker.finish()

    # Four roots differ; of the three consistency proofs, the one from size 8 (a power of two, whose
    # subtree the verifier takes from the signed head) holds, the others fail.
    assert len(report.breaks) == 2 and report.break_count == 6
