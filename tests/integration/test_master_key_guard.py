"""A service never starts on a master key that does not open the family keys already stored.

Found by an operator audit: a restore started without its master key quietly made a new one;
family keys were then split between two master keys and reads of personal data failed with 500.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from shared.config import Settings
from shared.crypto.master_key import MasterKeyError
from shared.runtime import open_runtime


async def test_no_new_master_key_is_made_and_no_other_one_is_taken_where_family_keys_exist(
        make_settings: Callable[..., Awaitable[Settings]], tmp_path: Path) -> None:
    original = (await make_settings()).model_copy(update={"data_dir": tmp_path / "original"})
    runtime = await open_runtime(original, "test")
    try:
        await runtime.keys.get_or_create("fam-guarded")
    finally:
        await runtime.close()

    restored_without_key = original.model_copy(update={"data_dir": tmp_path / "restored"})
    with pytest.raises(MasterKeyError, match="no master key"):
        await open_runtime(restored_without_key, "test")
    assert not (tmp_path / "restored" / "keys" / "master.key").exists()

    another = original.model_copy(update={"master_key": base64.b64encode(os.urandom(32)).decode()})
    with pytest.raises(MasterKeyError, match="does not open the family keys"):
        await open_runtime(another, "test")

    runtime = await open_runtime(original, "test")  # the right key still opens everything
    try:
        assert len(await runtime.keys.get("fam-guarded") or b"") == 32
    finally:
        await runtime.close()
