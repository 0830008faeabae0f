"""Signed checkpoints: signing, verifying, the JSON and signed-note forms, the notary key on disk."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.config import Settings
from shared.notary.checkpoints import Checkpoint, CheckpointFormatError, Recorded
from shared.notary.keys import KeyFormatError, NotaryKey, NotarySigner, key_path, public_key_of
from shared.notary.merkle import Frontier, leaf_hash

LOG = "TILTS_EVENTS"
MOMENT = datetime(2025, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)


def frontier_of(size: int) -> Frontier:
    frontier = Frontier()
    for i in range(size):
        frontier.append(leaf_hash(f"event {i}".encode()))
    return frontier


@pytest.fixture(scope="module")
def signer() -> NotarySigner:
    return NotarySigner(Ed25519PrivateKey.generate(), LOG)


@pytest.fixture(scope="module")
def checkpoint(signer: NotarySigner) -> Checkpoint:
    return signer.sign(frontier_of(13), MOMENT)


def test_a_signed_checkpoint_states_the_size_root_and_frontier_of_the_tree(checkpoint: Checkpoint) -> None:
    frontier = frontier_of(13)

    assert (checkpoint.log, checkpoint.size, checkpoint.root) == (LOG, 13, frontier.root())
    assert checkpoint.frontier == frontier.hashes and checkpoint.frontier_problem() is None
    assert checkpoint.time == "2025-03-01T09:30:00.123Z"


def test_the_signature_covers_the_c2sp_checkpoint_body(signer: NotarySigner, checkpoint: Checkpoint) -> None:
    body = f"tilts/{LOG}\n13\n{base64.b64encode(checkpoint.root).decode()}\n".encode()

    assert checkpoint.body() == body
    signer.key.public_key.verify(checkpoint.signature, body)  # raises if not


def test_the_notary_key_verifies_its_own_checkpoint(signer: NotarySigner, checkpoint: Checkpoint) -> None:
    assert signer.key.verifies(checkpoint)


def test_a_checkpoint_with_any_signed_field_changed_is_refused(signer: NotarySigner, checkpoint: Checkpoint) -> None:
    other_root = frontier_of(14).root()
    flipped = bytes([checkpoint.signature[0] ^ 1]) + checkpoint.signature[1:]

    for forged in (Checkpoint(**{**vars(checkpoint), "size": 14}),
                   Checkpoint(**{**vars(checkpoint), "root": other_root}),
                   Checkpoint(**{**vars(checkpoint), "log": "OTHER_EVENTS"}),
                   Checkpoint(**{**vars(checkpoint), "signature": flipped})):
        assert not signer.key.verifies(forged)


def test_a_checkpoint_signed_by_another_key_is_refused(signer: NotarySigner) -> None:
    impostor = NotarySigner(Ed25519PrivateKey.generate(), LOG).sign(frontier_of(13), MOMENT)
    same_id = Checkpoint(**{**vars(impostor), "key_id": signer.key.key_id})

    assert not signer.key.verifies(impostor)
    assert not signer.key.verifies(same_id)


def test_the_unsigned_time_and_frontier_do_not_change_the_signature(signer: NotarySigner,
                                                                  checkpoint: Checkpoint) -> None:
    later = Checkpoint(**{**vars(checkpoint), "time": "2030-01-01T00:00:00.000Z"})

    assert signer.key.verifies(later)


def test_an_altered_frontier_is_caught_by_folding_it_to_the_signed_root(checkpoint: Checkpoint) -> None:
    swapped = Checkpoint(**{**vars(checkpoint), "frontier": checkpoint.frontier[::-1]})
    short = Checkpoint(**{**vars(checkpoint), "frontier": checkpoint.frontier[:-1]})

    assert swapped.frontier_problem() == "its frontier does not fold to its root"
    assert short.frontier_problem() == "its frontier has 2 hashes, a tree of 13 needs 3"


def test_the_json_form_round_trips_through_canonical_bytes(checkpoint: Checkpoint) -> None:
    stored = checkpoint.to_bytes()
    value = json.loads(stored)

    assert Checkpoint.from_bytes(stored) == checkpoint
    assert list(value) == sorted(value) and b" " not in stored
    assert value["root"] == checkpoint.root.hex() and len(value["frontier"]) == 3
    assert base64.b64decode(value["signature"]) == checkpoint.signature
    assert value["key_id"] == checkpoint.key_id.hex()


@pytest.mark.parametrize(("change", "message"), [
    ({"size": 0}, "size is not a positive count"),
    ({"size": "13"}, "size is not a positive count"),
    ({"size": True}, "size is not a positive count"),
    ({"root": "AB" * 32}, "root is not a lower-case hex"),
    ({"frontier": ["00" * 31]}, "frontier is not a lower-case hex"),
    ({"frontier": "00"}, "frontier is not a list"),
    ({"signature": "c2ln"}, "signature is not a base64 Ed25519"),
    ({"key_id": "xyz"}, "key_id is not 8"),
    ({"time": "2025-03-01 09:30:00"}, "time is not an RFC 3339"),
    ({"log": "TILTS.EVENTS"}, "log is not a stream name"),
])
def test_malformed_checkpoint_json_is_refused_naming_the_field(checkpoint: Checkpoint, change: dict,
                                                               message: str) -> None:
    with pytest.raises(CheckpointFormatError, match=message):
        Checkpoint.from_json({**checkpoint.as_json(), **change})


def test_missing_fields_and_non_json_are_refused(checkpoint: Checkpoint) -> None:
    value = checkpoint.as_json()
    del value["root"], value["time"]

    with pytest.raises(CheckpointFormatError, match="missing root, time"):
        Checkpoint.from_json(value)
    with pytest.raises(CheckpointFormatError, match="not JSON"):
        Checkpoint.from_bytes(b"{not json")
    assert Recorded.read(7, b"[]") == Recorded(7, None, "a checkpoint is a JSON object")


def test_the_signed_note_carries_the_c2sp_key_id_and_signature(signer: NotarySigner, checkpoint: Checkpoint) -> None:
    raw = signer.key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(f"tilts/{LOG}".encode() + b"\n\x01" + raw).digest()[:4]
    text, _, signatures = checkpoint.note().partition("\n\n")
    dash, name, encoded = signatures.rstrip("\n").split(" ")

    assert (text + "\n").encode() == checkpoint.body()
    assert (dash, name) == ("\u2014", f"tilts/{LOG}")
    assert base64.b64decode(encoded) == key_id + checkpoint.signature
    assert checkpoint.key_id == signer.key.key_id == key_id


def test_a_public_key_parses_from_pem_and_from_a_verifier_key(signer: NotarySigner, checkpoint: Checkpoint) -> None:
    from_pem = NotaryKey.parse(signer.key.pem(), LOG)
    from_vkey = NotaryKey.parse(signer.key.vkey() + "\n", "ignored: the verifier key names its log")

    assert from_pem.raw == from_vkey.raw == signer.key.raw
    assert from_pem.verifies(checkpoint) and from_vkey.verifies(checkpoint)
    assert signer.key.vkey().startswith(f"tilts/{LOG}+{checkpoint.key_id.hex()}+")


def test_a_pem_key_named_for_another_log_does_not_verify_this_log_s_checkpoints(signer: NotarySigner,
                                                                               checkpoint: Checkpoint) -> None:
    assert not NotaryKey.parse(signer.key.pem(), "OTHER_EVENTS").verifies(checkpoint)


def test_keys_that_are_not_ed25519_notary_keys_are_refused(signer: NotarySigner) -> None:
    name, key_id, encoded = signer.key.vkey().split("+", 2)  # base64 may hold "+" too
    ecdsa = generate_private_key(SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    for text in (f"{name}+00000000+{encoded}", f"{name}+{key_id}+AAAA", "not a key", ecdsa,
                 "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"):
        with pytest.raises(KeyFormatError):
            NotaryKey.parse(text, LOG)


def test_the_notary_key_is_created_once_owner_only_and_its_public_half_read_without_creating(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, stream_name=LOG)

    assert public_key_of(settings) is None and not key_path(settings).exists()
    first = NotarySigner.from_settings(settings)
    again = NotarySigner.from_settings(settings)

    assert key_path(settings) == tmp_path / "keys" / "notary-ed25519.pem"
    assert stat.S_IMODE(key_path(settings).stat().st_mode) == 0o600
    assert first.key.raw == again.key.raw == public_key_of(settings).raw  # type: ignore[union-attr]
