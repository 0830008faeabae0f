"""A backup's manifest, its file checks, and what the database tools are given."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.backup.folders import NotEmpty, clear, require_empty
from shared.backup.keys import master_key_id
from shared.backup.manifest import (BackupInvalid, DatabasePart, Manifest, MasterKeyPart, StreamPart, check_files,
                                    read_manifest, record_file, write_manifest)
from shared.backup.postgres import without_password

FILES = {"streams/EV.tar.s2": b"snapshot bytes", "database/read-models.dump": b"read models",
         "database/family-keys.dump": b"wrapped keys", "keys/notary-ed25519.pem": b"-----BEGIN PRIVATE KEY-----"}


def _manifest(root: Path, **changes: Any) -> Manifest:
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    fields: dict[str, Any] = {
        "created_at": datetime(2020, 1, 14, 8, 0, tzinfo=UTC), "stream_name": "EV", "subject_prefix": "ev",
        "log": StreamPart(name="EV", file="streams/EV.tar.s2", last_sequence=7, messages=7, config={"name": "EV"},
                          state={"last_seq": 7, "messages": 7}),
        "checkpoints": None,
        "database": DatabasePart(file="database/read-models.dump", schemas=("tilts_reporting",)),
        "family_keys": DatabasePart(file="database/family-keys.dump", schemas=("tilts_keys",)),
        "key_files": ("keys/notary-ed25519.pem",), "master_key": MasterKeyPart(id="0123456789abcdef", included=False),
        "files": {name: record_file(root, name) for name in FILES}, "tools": {"tilts": "0.1.0"}}
    return Manifest(**(fields | changes))


def test_a_written_manifest_reads_back_and_its_files_check(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    write_manifest(tmp_path, manifest)

    assert read_manifest(tmp_path) == manifest
    check_files(tmp_path, manifest)
    assert os.stat(tmp_path / "manifest.json").st_mode & 0o777 == 0o600


def test_an_altered_file_is_refused_by_name(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    (tmp_path / "database/family-keys.dump").write_bytes(b"wrapped keyZ")

    with pytest.raises(BackupInvalid, match="database/family-keys.dump: SHA-256 .* differs"):
        check_files(tmp_path, manifest)


def test_a_truncated_or_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    (tmp_path / "streams/EV.tar.s2").write_bytes(b"snap")
    with pytest.raises(BackupInvalid, match="streams/EV.tar.s2 has 4 bytes, the manifest says 14"):
        check_files(tmp_path, manifest)
    (tmp_path / "streams/EV.tar.s2").unlink()
    with pytest.raises(BackupInvalid, match="streams/EV.tar.s2 is missing"):
        check_files(tmp_path, manifest)


def test_a_manifest_naming_a_path_outside_the_backup_is_refused(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    escaping = {**manifest.model_dump(mode="json"), "files": {"../../etc/passwd": {"sha256": "0", "bytes": 1}}}
    (tmp_path / "manifest.json").write_text(json.dumps(escaping))

    with pytest.raises(BackupInvalid, match="not a path inside the backup"):
        read_manifest(tmp_path)


def test_a_manifest_without_a_digest_for_one_of_its_parts_is_refused(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    files = {name: entry for name, entry in manifest.files.items() if name != "keys/notary-ed25519.pem"}
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest.model_dump(mode="json"), "files":
                                                        {k: v.model_dump() for k, v in files.items()}}))

    with pytest.raises(BackupInvalid, match="files without a digest: keys/notary-ed25519.pem"):
        read_manifest(tmp_path)


def test_a_directory_without_a_manifest_or_of_another_format_is_not_a_backup(tmp_path: Path) -> None:
    with pytest.raises(BackupInvalid, match="has no manifest.json"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "tilts-backup/99"}))
    with pytest.raises(BackupInvalid, match="'tilts-backup/99'"):
        read_manifest(tmp_path)


def test_the_database_password_goes_to_the_environment_not_the_command_line() -> None:
    address, env = without_password("postgresql://tilts:s%40cret@127.0.0.1:5432/tilts?sslmode=disable")

    assert address == "postgresql://tilts@127.0.0.1:5432/tilts?sslmode=disable"
    assert env["PGPASSWORD"] == "s@cret"


def test_a_master_key_id_tells_keys_apart_without_revealing_them() -> None:
    first, second = bytes(32), bytes([1]) * 32

    assert master_key_id(first) == master_key_id(bytes(32)) != master_key_id(second)
    assert len(master_key_id(first)) == 16 and first.hex()[:16] != master_key_id(first)


def test_only_an_empty_or_new_directory_is_written_to_and_a_failure_clears_it(tmp_path: Path) -> None:
    assert require_empty(tmp_path / "new", "reason") is False
    assert require_empty(tmp_path, "reason") is True
    (tmp_path / "written").mkdir()
    (tmp_path / "written" / "file").write_bytes(b"x")
    with pytest.raises(NotEmpty, match="is not empty: reason"):
        require_empty(tmp_path, "reason")

    clear(tmp_path, existed=True)

    assert tmp_path.is_dir() and not any(tmp_path.iterdir())
