"""`tilts audit checkpoint | prove | inclusion | notary-key | verify` as an auditor runs them: output, exit codes."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.audit.reader import read_log
from shared.bus.connect import connect
from shared.bus.stream import StreamSpec, ensure_stream
from shared.config import Settings
from shared.events.envelope import StoredEvent
from shared.notary.keys import NotarySigner
from shared.runtime import Runtime
from services.intake.bootstrap import create_app as create_intake
from tests.support.harness import Harness, running
from tests.support.world import World

REPO = Path(__file__).resolve().parents[2]
HEX_LINE = re.compile(r"^\s+\d+\s+[0-9a-f]{64}$", re.MULTILINE)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


async def tilts(env: dict[str, str], *args: str) -> Run:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tilts", *args, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


def auditor_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    """An auditor's environment: the system's NATS and stream, a data dir of their own (no keys)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TILTS_")}
    env.update(TILTS_DATA_DIR=str(data_dir), TILTS_NATS_URL=settings.nats_url or "",
               TILTS_STREAM_NAME=settings.stream_name, TILTS_SUBJECT_PREFIX=settings.subject_prefix,
               COLUMNS="200")
    return env


@pytest.fixture(scope="module")
async def notarised(make_settings: Callable[..., Awaitable[Settings]]) -> AsyncIterator[Harness]:
    async with running(create_intake, await make_settings(notary_interval_seconds=0.1)) as harness:
        yield harness


async def settle(harness: Harness) -> int:
    """Wait until a checkpoint covers everything posted; the log's last sequence."""
    last = await harness.app.state.runtime.log.last_sequence()
    assert await harness.app.state.notary.wait_for(last, 15)
    return last


@pytest.fixture
def key_file(notarised: Harness, tmp_path: Path) -> Path:
    """The notary's public key, as an auditor saved it from `tilts audit notary-key`."""
    path = tmp_path / "notary.pem"
    path.write_text(NotarySigner.from_settings(notarised.settings).key.pem())
    return path


@pytest.fixture
def env(notarised: Harness, tmp_path: Path) -> dict[str, str]:
    return auditor_env(notarised.settings, tmp_path / "auditor")


async def saved_checkpoint(env: dict[str, str], path: Path) -> dict:
    run = await tilts(env, "audit", "checkpoint")
    assert run.code == 0, run.stderr
    path.write_text(run.stdout)
    return json.loads(run.stdout)


async def test_prove_passes_from_a_saved_checkpoint_to_a_later_one_and_prints_the_proof(
        notarised: Harness, unique_id: str, env: dict[str, str], key_file: Path, tmp_path: Path) -> None:
    world = await World.create(notarised, unique_id)
    await settle(notarised)
    saved = await saved_checkpoint(env, tmp_path / "saved.json")
    await world.case(await world.family())
    last = await settle(notarised)

    run = await tilts(env, "audit", "prove", "--checkpoint", str(tmp_path / "saved.json"),
                      "--notary-key", str(key_file))

    assert run.code == 0, run.stdout + run.stderr
    assert f"consistency proof   RFC 9162 §2.1.4, {saved['size']:,} → {last:,} events" in run.stdout
    assert len(HEX_LINE.findall(run.stdout)) >= 1
    assert "signature ok" in run.stdout and "PASS: the latest checkpoint extends yours" in run.stdout


async def test_prove_fails_for_a_checkpoint_whose_signature_was_forged(
        notarised: Harness, unique_id: str, env: dict[str, str], key_file: Path, tmp_path: Path) -> None:
    await World.create(notarised, unique_id)
    await settle(notarised)
    saved = await saved_checkpoint(env, tmp_path / "saved.json")
    forged = {**saved, "size": saved["size"] - 1}  # a claim the notary never signed
    (tmp_path / "forged.json").write_text(json.dumps(forged))

    run = await tilts(env, "audit", "prove", "--checkpoint", str(tmp_path / "forged.json"),
                      "--notary-key", str(key_file))

    assert run.code == 1, run.stdout + run.stderr
    assert "FAIL: the saved checkpoint's signature does not verify with the notary key" in run.stdout


async def test_inclusion_prints_a_proof_that_an_event_is_in_the_latest_checkpoint(
        notarised: Harness, unique_id: str, env: dict[str, str], key_file: Path) -> None:
    world = await World.create(notarised, unique_id)
    last = await settle(notarised)

    run = await tilts(env, "audit", "inclusion", "--sequence", str(last - 2), "--notary-key", str(key_file))

    assert run.code == 0, run.stdout + run.stderr
    assert f"sequence {last - 2:,} (leaf index {last - 3:,})" in run.stdout and world.uid not in run.stdout
    assert "PASS: event" in run.stdout and len(HEX_LINE.findall(run.stdout)) >= 1


async def test_notary_key_prints_the_public_key_that_verify_then_uses(
        notarised: Harness, unique_id: str, env: dict[str, str], tmp_path: Path) -> None:
    await World.create(notarised, unique_id)
    await settle(notarised)
    system = {**env, "TILTS_DATA_DIR": str(notarised.settings.data_dir)}

    pem = await tilts(system, "audit", "notary-key")
    vkey = await tilts(system, "audit", "notary-key", "--format", "vkey")
    (tmp_path / "vkey").write_text(vkey.stdout)
    verify = await tilts(env, "audit", "verify", "--notary-key", str(tmp_path / "vkey"))
    nothing = await tilts(env, "audit", "notary-key")

    assert pem.code == 0 and pem.stdout == NotarySigner.from_settings(notarised.settings).key.pem()
    assert vkey.code == 0 and vkey.stdout.startswith(f"tilts/{notarised.settings.stream_name}+")
    assert verify.code == 0, verify.stdout + verify.stderr
    assert "and the log matches every checkpoint" in verify.stdout
    assert nothing.code == 2 and "No notary key" in nothing.stderr


async def test_verify_without_the_notary_key_checks_the_chains_and_says_the_checkpoints_were_not(
        notarised: Harness, unique_id: str, env: dict[str, str]) -> None:
    await World.create(notarised, unique_id)
    await settle(notarised)

    run = await tilts(env, "audit", "verify")

    assert run.code == 0, run.stdout + run.stderr
    assert "NOT checked" in run.stdout and "--notary-key" in run.stderr


def rechained(events: list[StoredEvent], altered_id: str, data: dict) -> list[StoredEvent]:
    """The events with one event's data changed and its aggregate's later hashes re-computed to match."""
    last_hash: dict[str, str] = {}
    out = []
    for stored in events:
        aggregate = f"{stored.aggregatetype}/{stored.aggregateid}"
        update: dict = {}
        if stored.id == altered_id:
            update["data"] = {**stored.data, **data}
        if aggregate in last_hash:
            update["prevhash"] = last_hash[aggregate]
        if update:
            stored = stored.model_copy(update=update)
            stored = stored.model_copy(update={"hash": stored.compute_hash()})
        last_hash[aggregate] = stored.hash
        out.append(stored)
    return out


async def replace_log(settings: Settings, events: list[StoredEvent], subjects: list[str]) -> None:
    """What someone able to rewrite the server's streams would do: drop the log and store another."""
    nc = await connect(settings.nats_url or "", "tests-rewrite")
    try:
        js = nc.jetstream()
        await js.delete_stream(settings.stream_name)
        await ensure_stream(js, StreamSpec(settings.stream_name, settings.subject_prefix))
        for event, subject in zip(events, subjects, strict=True):
            await js.publish(subject, event.payload(), stream=settings.stream_name)
    finally:
        await nc.close()


async def test_after_history_is_rewritten_verify_and_prove_fail_though_the_chains_hold(
        make_settings: Callable[..., Awaitable[Settings]], unique_id: str, tmp_path: Path) -> None:
    settings = await make_settings(notary_interval_seconds=0.1)
    env = auditor_env(settings, tmp_path / "auditor")
    async with running(create_intake, settings) as intake:
        world = await World.create(intake, unique_id)
        await settle(intake)
        await saved_checkpoint(env, tmp_path / "saved.json")     # the auditor keeps this one
        await world.case(await world.family())
        await settle(intake)
        runtime: Runtime = intake.app.state.runtime
        records = [r async for r in read_log(runtime.js, stream=settings.stream_name, first=1,
                                             last=await runtime.log.last_sequence())]
    stored = [StoredEvent.from_payload(r.payload) for r in records]
    target = next(e for e in stored if e.aggregateid == world.institution)  # covered by the saved checkpoint
    await replace_log(settings, rechained(stored, target.id, {"name": "Cita skola"}), [r.subject for r in records])
    key = tmp_path / "notary.pem"
    key.write_text(NotarySigner.from_settings(settings).key.pem())

    verify = await tilts(env, "audit", "verify", "--notary-key", str(key))
    prove = await tilts(env, "audit", "prove", "--checkpoint", str(tmp_path / "saved.json"), "--notary-key", str(key))

    assert verify.code == 1, verify.stdout + verify.stderr
    assert "First break:" not in verify.stdout  # every hash chain holds: only the checkpoints see it
    first_break = r"First checkpoint break: checkpoint \d+ \(size [\d,]+\) root differs: "
    assert re.search(first_break, verify.stdout), verify.stdout
    assert prove.code == 1, prove.stdout + prove.stderr
    assert "hash to the saved root: NO" in prove.stdout
    assert "FAIL" in prove.stdout and "they were rewritten" in prove.stdout
