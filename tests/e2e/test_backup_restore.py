"""`tilts backup` of a running system and `tilts restore` into an empty data dir, served again by `tilts up`."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import pytest

from services.reporting.projections.schema import SCHEMA as REPORTING
from services.reporting.rebuild.checksums import checksums, report_set
from shared.auth.tokens import TokenAuthority
from shared.backup.manifest import Manifest, read_manifest, record_file, write_manifest
from shared.backup.take import FAMILY_KEYS_FILE, stream_file
from shared.config import Settings
from shared.crypto.keystore import SCHEMA as KEYS_SCHEMA
from shared.embedded import EmbeddedPostgres, free_port
from shared.notary.store import CheckpointStore
from shared.roles import Role
from shared.runtime_file import read_runtime_urls
from tests.e2e.conftest import System
from tests.support.harness import event
from tilts.services import SERVICES

REPO = Path(__file__).resolve().parents[2]
SURNAME = "Bērziņa"


@dataclass
class Original:
    """The running system that is backed up, and what was posted to it."""

    system: System
    tokens: TokenAuthority
    family: str           # keeps its personal data
    erasable_family: str  # erased by the erasure test, after the first backup
    last_sequence: int    # the log's end once everything was posted

    def auth(self, role: Role, subject: str, *municipalities: str) -> dict[str, str]:
        token = self.tokens.mint(role, subject, municipalities=list(municipalities))
        return {"Authorization": f"Bearer {token}"}

    def post(self, headers: dict[str, str], type_: str, data: dict[str, Any], when: str | None = None) -> int:
        answer = httpx.post(f"{self.system.urls['intake']}/v1/events", json=event(type_, data, time=when),
                            headers=headers, timeout=10)
        assert answer.status_code == 201, answer.text
        return int(answer.json()["sequence"])


def _system(base: Path) -> System:
    """A `tilts up` of its own (not started) with free ports and no inherited TILTS_* settings."""
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)  # PostgreSQL runs as an unprivileged user who must reach its data dir
    ports = {name: free_port() for name in SERVICES}
    env = {key: value for key, value in os.environ.items() if not key.startswith("TILTS_")}
    env.update({"TILTS_DATA_DIR": str(base / "data"), "TILTS_LOG_FORMAT": "json"})
    env.update({f"TILTS_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    return System(base / "data", env, {name: f"http://127.0.0.1:{port}" for name, port in ports.items()})


def tilts(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tilts", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=180)


def _post_some_work(original: Original, uid: str) -> int:
    """A municipality's registrations, two families, a case with visits on three days, a cooperation."""
    admin, place, mediator = original.auth(Role.ADMIN, "admin-1"), f"m-{uid}", f"med-{uid}"
    original.post(admin, "tilts.municipality.registered", {"municipality_id": place, "name": "Tukums"})
    original.post(admin, "tilts.institution.registered", {
        "institution_id": f"school-{uid}", "municipality_id": place, "name": "Tukuma 2. pamatskola",
        "kind": "school", "domains": ["education"]})
    original.post(admin, "tilts.institution.contact_added", {
        "institution_id": f"school-{uid}", "contact_id": f"c-{uid}", "name": "Ilze Kalniņa", "role": "direktore"})
    original.post(admin, "tilts.mediator.registered", {
        "mediator_id": mediator, "display_name": "Marta Ozoliņa", "municipality_ids": [place]})
    as_mediator = original.auth(Role.MEDIATOR, mediator)
    for family in (original.family, original.erasable_family):
        original.post(as_mediator, "tilts.family.registered", {
            "family_id": family, "municipality_id": place, "consent": {"given_on": "2020-01-02", "scope": "mediācija"},
            "personal": {"surname": SURNAME, "phone": "+371 20000000"}}, when="2020-01-02T10:00:00+02:00")
    original.post(as_mediator, "tilts.case.opened", {"case_id": f"case-{uid}", "family_id": original.family,
                                                     "domain": "education", "need": "kavējumu iemesli"},
                  when="2020-01-03T10:00:00+02:00")
    for day in (6, 8, 13):
        original.post(as_mediator, "tilts.activity.recorded", {
            "activity_id": f"a{day}-{uid}", "case_id": f"case-{uid}", "kind": "home_visit", "domain": "education"},
            when=f"2020-01-{day:02d}T10:00:00+02:00")
    return original.post(as_mediator, "tilts.cooperation.recorded", {
        "cooperation_id": f"coop-{uid}", "institution_id": f"school-{uid}", "contact_id": f"c-{uid}",
        "domain": "education", "channel": "meeting", "purpose": "kavējumu iemesli", "family_id": original.family},
        when="2020-01-14T10:00:00+02:00")


async def _checkpointed(nats_url: str, stream: str, prefix: str) -> int:
    """The number of events the notary's latest checkpoint covers (0 before the first)."""
    connection = await nats.connect(nats_url)
    try:
        latest = await CheckpointStore(connection.jetstream(), log_stream=stream, subject_prefix=prefix).latest()
        return latest.checkpoint.size if latest and latest.checkpoint else 0
    finally:
        await connection.close()


def _wait_for_checkpoint(system: System, sequence: int, timeout: float = 30.0) -> None:
    """Until the notary has signed a checkpoint covering `sequence` (it looks every few seconds)."""
    settings = Settings.model_construct()  # the defaults, as the system's environment has no TILTS_* names
    nats_url = _urls(system)["TILTS_NATS_URL"]
    deadline = time.monotonic() + timeout
    while asyncio.run(_checkpointed(nats_url, settings.stream_name, settings.subject_prefix)) < sequence:
        assert time.monotonic() < deadline, f"no checkpoint covers sequence {sequence} after {timeout:.0f} s"
        time.sleep(0.5)


def _wait_for_reporting(system: System, headers: dict[str, str], sequence: int) -> None:
    answer = httpx.get(f"{system.urls['reporting']}/v1/reports/summary", headers=headers, timeout=30,
                       params={"from": "2020-01-01", "to": "2020-01-31", "min_sequence": sequence})
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Original]:
    """`tilts up` with some mediator work posted and read by reporting; stopped after the module."""
    system = _system(tmp_path_factory.mktemp("original"))
    system.start()
    try:
        uid = uuid.uuid4().hex[:8]
        tokens = TokenAuthority.from_settings(Settings(data_dir=system.data_dir))
        original = Original(system, tokens, f"fam-{uid}", f"fam-erased-{uid}", 0)
        original.last_sequence = _post_some_work(original, uid)
        _wait_for_reporting(system, original.auth(Role.AUDITOR, "auditor-1"), original.last_sequence)
        _wait_for_checkpoint(system, original.last_sequence)
        yield original
    finally:
        if system.proc is not None:
            system.stop()


def _backup(original: Original, directory: Path, *extra: str) -> Manifest:
    run = tilts(original.system.env, "backup", str(directory), *extra)
    assert run.returncode == 0, run.stdout + run.stderr
    return read_manifest(directory)


@pytest.fixture(scope="module")
def backup(original: Original, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup taken without the master key, after everything was posted."""
    directory = tmp_path_factory.mktemp("backups") / "first"
    manifest = _backup(original, directory)
    assert manifest.log.last_sequence == original.last_sequence and not manifest.master_key.included
    return directory


def _restored_env(base: Path) -> dict[str, str]:
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)
    env = {key: value for key, value in os.environ.items() if not key.startswith("TILTS_")}
    env["TILTS_DATA_DIR"] = str(base / "data")
    return env


def _master_key_file(original: Original) -> str:
    return str(original.system.data_dir / "keys" / "master.key")


async def _stream_state(nats_url: str, stream: str) -> tuple[int, int]:
    connection = await nats.connect(nats_url)
    try:
        state = (await connection.jetstream().stream_info(stream)).state
        return state.last_seq, state.messages
    finally:
        await connection.close()


async def _report_checksums(database_url: str, as_of: int) -> dict[str, str]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        return await checksums(pool, REPORTING, as_of, await report_set(pool, REPORTING, as_of))
    finally:
        await pool.close()


def _urls(system: System) -> dict[str, str]:
    urls = read_runtime_urls(system.data_dir)
    assert urls is not None, "the system is not running"
    return urls


def test_a_restored_system_serves_the_same_log_reports_and_personal_data(
        original: Original, backup: Path, tmp_path: Path) -> None:
    manifest = read_manifest(backup)
    restored = _system(tmp_path / "restored")

    run = tilts(_restored_env(tmp_path / "restored"), "restore", str(backup), "--master-key",
                _master_key_file(original))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "intact" in run.stderr
    restored.start()
    try:
        before, after = _urls(original.system), _urls(restored)
        for part in manifest.streams:  # the log, and the checkpoints the notary signed before the backup
            assert asyncio.run(_stream_state(after["TILTS_NATS_URL"], part.name)) == (part.last_sequence,
                                                                                     part.messages)
        assert manifest.log.messages == manifest.log.last_sequence == original.last_sequence
        assert manifest.checkpoints is not None and manifest.checkpoints.messages >= 1

        verify = tilts(restored.env, "audit", "verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert "intact" in verify.stdout and "matches every checkpoint" in " ".join(verify.stdout.split())

        auditor = original.auth(Role.AUDITOR, "auditor-1")
        _wait_for_reporting(restored, auditor, manifest.log.last_sequence)
        as_of = manifest.log.last_sequence
        expected = asyncio.run(_report_checksums(before["TILTS_DATABASE_URL"], as_of))
        assert expected and asyncio.run(_report_checksums(after["TILTS_DATABASE_URL"], as_of)) == expected

        family = httpx.get(f"{restored.urls['reporting']}/v1/families/{original.family}", headers=auditor,
                           params={"reason": "restore drill"}, timeout=10)
        assert family.status_code == 200, family.text
        assert family.json()["personal_data"] == "shown" and family.json()["personal"]["surname"] == SURNAME
    finally:
        restored.stop()


def test_restore_refuses_a_data_dir_that_is_not_empty(original: Original, backup: Path, tmp_path: Path) -> None:
    env = _restored_env(tmp_path)
    data_dir = Path(env["TILTS_DATA_DIR"])
    data_dir.mkdir()
    (data_dir / "notes.txt").write_text("somebody's data")

    run = tilts(env, "restore", str(backup), "--master-key", _master_key_file(original))

    assert run.returncode == 2, run.stdout + run.stderr
    assert "is not empty" in run.stderr
    assert [entry.name for entry in data_dir.iterdir()] == ["notes.txt"]


def test_restore_refuses_a_backup_file_that_was_altered(original: Original, backup: Path, tmp_path: Path) -> None:
    altered = tmp_path / "altered"
    shutil.copytree(backup, altered)
    snapshot = altered / stream_file(read_manifest(backup).stream_name)
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0x01
    snapshot.write_bytes(bytes(data))
    env = _restored_env(tmp_path / "restored")

    run = tilts(env, "restore", str(altered), "--master-key", _master_key_file(original))

    assert run.returncode == 2, run.stdout + run.stderr
    assert "SHA-256" in run.stderr and snapshot.name in run.stderr and "altered or damaged" in run.stderr
    assert not Path(env["TILTS_DATA_DIR"]).exists()


def test_restore_refuses_without_the_backups_master_key(original: Original, backup: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "other.key"
    wrong.write_text("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n")  # base64 of 32 bytes, not the system's key
    env = _restored_env(tmp_path / "restored")

    without = tilts(env, "restore", str(backup))
    wrong_key = tilts(env, "restore", str(backup), "--master-key", str(wrong))

    assert without.returncode == 2 and "does not hold the master key" in without.stderr
    assert wrong_key.returncode == 2 and "is not the one this backup's family keys are wrapped with" in wrong_key.stderr
    assert not Path(env["TILTS_DATA_DIR"]).exists()


def test_restore_names_a_master_key_file_that_is_not_a_key(original: Original, backup: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("this is not a key\n")
    env = _restored_env(tmp_path / "restored")

    run = tilts(env, "restore", str(backup), "--master-key", str(bad))

    message = " ".join(run.stderr.split())
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{bad} is not a usable master key: not valid base64" in message and "TILTS_MASTER_KEY" not in message
    assert not Path(env["TILTS_DATA_DIR"]).exists()


def test_restore_into_the_data_dir_of_a_running_system_names_it(original: Original, backup: Path) -> None:
    assert original.system.proc is not None
    before = sorted(entry.name for entry in original.system.data_dir.iterdir())

    run = tilts(original.system.env, "restore", str(backup), "--master-key", _master_key_file(original))

    assert run.returncode == 2, run.stdout + run.stderr
    assert f"is in use by tilts up (pid {original.system.proc.pid})" in " ".join(run.stderr.split())
    assert sorted(entry.name for entry in original.system.data_dir.iterdir()) == before


async def _family_key_state(database_url: str, family: str) -> tuple[bool, bool]:
    """(has a live key, has a tombstone) for a family."""
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(f"SELECT wrapped_key IS NOT NULL AS live, destroyed_at IS NOT NULL AS gone"
                                        f" FROM {KEYS_SCHEMA}.family_keys WHERE family_id = $1", family)
        return (bool(row["live"]), bool(row["gone"])) if row else (False, False)
    finally:
        await connection.close()


def _with_older_family_keys(newer: Path, older: Path, target: Path) -> None:
    """The newer backup, but with the family keys of the older one (as an operator mixing backups would)."""
    shutil.copytree(newer, target)
    shutil.copyfile(older / FAMILY_KEYS_FILE, target / FAMILY_KEYS_FILE)
    manifest = read_manifest(target)
    files = {**manifest.files, FAMILY_KEYS_FILE: record_file(target, FAMILY_KEYS_FILE)}
    write_manifest(target, manifest.model_copy(update={"files": files}))


def test_family_keys_from_before_an_erasure_do_not_bring_its_personal_data_back(
        original: Original, backup: Path, tmp_path: Path) -> None:
    database_url = _urls(original.system)["TILTS_DATABASE_URL"]
    assert asyncio.run(_family_key_state(database_url, original.erasable_family)) == (True, False)  # in `backup`
    original.post(original.auth(Role.ADMIN, "admin-1"), "tilts.family.erased",
                  {"family_id": original.erasable_family, "reason": "the family asked for erasure"})
    assert asyncio.run(_family_key_state(database_url, original.erasable_family)) == (False, True)
    after_erasure = _backup(original, tmp_path / "after-erasure")
    mixed = tmp_path / "mixed"
    _with_older_family_keys(tmp_path / "after-erasure", backup, mixed)
    env = _restored_env(tmp_path / "restored")

    run = tilts(env, "restore", str(mixed), "--master-key", _master_key_file(original))

    assert run.returncode == 0, run.stdout + run.stderr
    postgres = EmbeddedPostgres(Path(env["TILTS_DATA_DIR"]) / "postgres")
    postgres.start()
    try:
        assert asyncio.run(_family_key_state(postgres.url, original.erasable_family)) == (False, True)
        assert asyncio.run(_family_key_state(postgres.url, original.family)) == (True, False)
    finally:
        postgres.stop()
    assert "keys destroyed again: 1" in " ".join(run.stderr.split())
    assert after_erasure.log.last_sequence == original.last_sequence + 1

