"""A master key that cannot be used is reported by where it came from: the file, or TILTS_MASTER_KEY."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from shared.backup.keys import MasterKeyProblem, read_master_key
from shared.config import Settings
from shared.crypto.master_key import MasterKeyError, load_master_key


def test_a_master_key_file_that_is_not_base64_is_named_and_the_environment_is_not(tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key!\n")
    with pytest.raises(MasterKeyProblem) as refused:
        read_master_key(bad, str(bad))
    assert str(refused.value) == f"{bad} is not a usable master key: not valid base64"


def test_a_master_key_file_of_the_wrong_length_says_how_long_it_is(tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_text(base64.b64encode(b"x" * 16).decode())
    with pytest.raises(MasterKeyProblem, match=r"short\.key is not a usable master key: not 32 bytes .*16") as refused:
        read_master_key(short, str(short))
    assert "TILTS_MASTER_KEY" not in str(refused.value)


def test_a_good_master_key_file_is_read_with_its_newline(tmp_path: Path) -> None:
    good = tmp_path / "master.key"
    good.write_text(base64.b64encode(b"k" * 32).decode() + "\n")
    assert read_master_key(good, str(good)) == b"k" * 32


def test_a_bad_tilts_master_key_is_still_named_as_the_environment_variable() -> None:
    with pytest.raises(MasterKeyError, match="^TILTS_MASTER_KEY is not valid base64$"):
        load_master_key(Settings(master_key="not a key!"))
