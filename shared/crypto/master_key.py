"""The data-encryption master key: wraps every family's data key."""

from __future__ import annotations

import base64
import binascii
import os

from shared.config import Settings
from shared.secrets import load_or_create

MASTER_KEY_BYTES = 32


class MasterKeyError(ValueError):
    """The configured master key is unusable."""


def load_master_key(settings: Settings, *, create: bool = True) -> bytes:
    """`TILTS_MASTER_KEY` (base64, 32 bytes) if set, else the data dir's key, created on first use.

    `create=False` when data already encrypted under some master key exists: a missing key is
    then an error, never a fresh key that opens nothing.
    """
    if settings.master_key:
        try:
            return decode_master_key(settings.master_key)
        except MasterKeyError as error:
            raise MasterKeyError(f"TILTS_MASTER_KEY is {error}") from None
    path = settings.keys_dir / "master.key"
    if not create and not path.exists():
        raise MasterKeyError(
            f"there is no master key ({path}, or TILTS_MASTER_KEY), yet the database holds family keys "
            "wrapped by one: put that master key back (docs/operations.md, restore) rather than start "
            "with a new one that opens none of them")
    key = base64.b64decode(load_or_create(path, lambda: base64.b64encode(os.urandom(32))))
    if len(key) != MASTER_KEY_BYTES:
        raise MasterKeyError(f"{path} is not {MASTER_KEY_BYTES} bytes of base64 (it decodes to {len(key)})")
    return key


def decode_master_key(text: str) -> bytes:
    """A master key from its base64 text.

    The error says only what is wrong ("not valid base64"): the text may come from
    TILTS_MASTER_KEY or from a file, and only the caller knows which to name.
    """
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise MasterKeyError("not valid base64") from None
    if len(key) != MASTER_KEY_BYTES:
        raise MasterKeyError(f"not {MASTER_KEY_BYTES} bytes of base64 (it decodes to {len(key)})")
    return key
