"""`tilts audit replay` and `tilts audit verify` as an auditor runs them: processes, output, exit codes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.bus.eventlog import EventLog
from shared.bus.stream import StreamSpec, ensure_stream
from shared.bus.subjects import Subjects
from shared.canonical import canonical_json
from shared.config import Settings
from shared.events.envelope import GENESIS_HASH, StoredEvent
from shared.runtime_file import write_runtime_urls
from tests.support.harness import Harness, event
from tests.support.world import World, must_post

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def cli_env(data_dir: Path, *, nats_url: str | None, stream: str, prefix: str) -> dict[str, str]:
    """This process's environment without any TILTS_* setting, plus the ones given."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TILTS_")}
    env.update(TILTS_DATA_DIR=str(data_dir), TILTS_STREAM_NAME=stream, TILTS_SUBJECT_PREFIX=prefix)
    if nats_url:
        env["TILTS_NATS_URL"] = nats_url
    return env


async def tilts(env: dict[str, str], *args: str) -> Run:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tilts", *args, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


@pytest.fixture
def settings(intake: Harness) -> Settings:
    return intake.settings


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path, nats_url=settings.nats_url, stream=settings.stream_name, prefix=settings.subject_prefix)


@pytest.fixture
async def tampered(intake: Harness, unique_id: str) -> AsyncIterator[tuple[str, str, int]]:
    """A stream of its own: a case opened and visited, then a visit whose data was altered after hashing."""
    log: EventLog = intake.app.state.runtime.log
    stream, subjects = f"CLI_{unique_id}", Subjects(f"cli{unique_id}")
    await ensure_stream(log.js, StreamSpec(stream, subjects.prefix))
    subject = subjects.aggregate("jelgava", "case", "c-1")
    previous = GENESIS_HASH
    try:
        for version, kind in enumerate(("home_visit", "consultation"), start=1):
            stored, payload = StoredEvent.chain(
                id=f"ev-{version}", source="tests", type="tilts.activity.recorded", time="2020-01-14T10:00:00+02:00",
                subject="case/c-1", recordedtime="2020-01-14T08:00:01Z", actor="med-1", actorrole="mediator",
                municipalityid="jelgava", aggregatetype="case", aggregateid="c-1", version=version, schemaversion=1,
                fingerprint="f" * 64, prevhash=previous, data={"activity_id": f"a-{version}", "kind": kind})
            await log.js.publish(subject, payload, stream=stream)
            previous = stored.hash
        altered = stored.model_copy(update={"id": "ev-3", "version": 3, "prevhash": previous,
                                            "data": {"activity_id": "a-3", "kind": "interpreting"}})
        sequence = (await log.js.publish(subject, altered.payload(), stream=stream)).seq
        yield stream, subjects.prefix, sequence
    finally:
        await log.js.delete_stream(stream)


async def test_replay_prints_the_posted_events_as_ndjson(intake: Harness, world: World, env: dict[str, str]) -> None:
    family = event("tilts.family.registered", {"family_id": world.id("f1"), "municipality_id": world.municipality,
                                               "consent": {"given_on": "2020-01-02", "scope": "mediācija"}},
                   time="2020-01-02T10:00:00+02:00")
    visit = {**world.activity(None, "v1", municipality_id=world.municipality), "time": "2020-01-03T10:00:00+02:00"}
    answers = [await must_post(intake, body, world.as_mediator) for body in (family, visit)]
    first, last = answers[0]["sequence"], answers[1]["sequence"]

    everything = await tilts(env, "audit", "replay", "--from-sequence", str(first), "--to-sequence", str(last))
    visits = await tilts(env, "audit", "replay", "--from-sequence", str(first), "--type", "tilts.activity.recorded",
                         "--from-time", "2020-01-03T08:00:00Z", "--to-time", "2020-01-04T00:00:00+02:00")

    assert everything.code == 0, everything.stderr
    lines = [json.loads(line) for line in everything.stdout.splitlines()]
    assert [(line["id"], line["sequence"]) for line in lines] == [(family["id"], first), (visit["id"], last)]
    assert all(StoredEvent.model_validate(line).compute_hash() == line["hash"] for line in lines)
    # canonical JSON, as GET /v1/audit/events streams it: the two replays compare byte for byte
    assert [canonical_json(line) for line in lines] == [text.encode() for text in everything.stdout.splitlines()]
    assert visits.code == 0, visits.stderr
    assert [json.loads(line)["id"] for line in visits.stdout.splitlines()] == [visit["id"]]
    # read as GET /v1/audit/events reads them: an upper bound includes its instant; a date is a Riga day
    for window in (("--to-time", "2020-01-03T08:00:00Z"), ("--from-time", "2020-01-03", "--to-time", "2020-01-03")):
        run = await tilts(env, "audit", "replay", "--from-sequence", str(first), "--to-sequence", str(last), *window)
        assert run.code == 0, run.stderr
        assert [json.loads(line)["id"] for line in run.stdout.splitlines()][-1] == visit["id"], window


async def test_verify_exits_0_and_says_the_log_is_intact(world: World, env: dict[str, str]) -> None:
    run = await tilts(env, "audit", "verify")

    assert run.code == 0, run.stdout + run.stderr
    assert "intact" in run.stdout and "events checked" in run.stdout


async def test_verify_exits_1_and_names_the_first_break_after_tampering(
        tampered: tuple[str, str, int], env: dict[str, str]) -> None:
    stream, prefix, sequence = tampered

    run = await tilts({**env, "TILTS_STREAM_NAME": stream, "TILTS_SUBJECT_PREFIX": prefix}, "audit", "verify")

    assert run.code == 1, run.stdout + run.stderr
    assert "BROKEN" in run.stdout
    assert f"First break: sequence {sequence} (event ev-3, case/c-1): hash mismatch" in run.stdout
    # No notary ever signed this stream: verify says that this is itself worth a look.
    assert "no notary has signed this log. Unless the intake ran with TILTS_NOTARY_ENABLED=false, that is " \
           "itself a finding" in " ".join(run.stdout.split())


async def test_without_nats_the_commands_say_the_system_must_be_running(settings: Settings, tmp_path: Path) -> None:
    env = cli_env(tmp_path, nats_url=None, stream=settings.stream_name, prefix=settings.subject_prefix)

    for command in ("replay", "verify"):
        run = await tilts(env, "audit", command)
        assert run.code == 2, run.stdout + run.stderr
        assert "tilts up" in run.stderr and "TILTS_NATS_URL" in run.stderr
        assert run.stdout == ""


async def test_the_commands_find_a_running_system_through_its_runtime_file(
        settings: Settings, world: World, tmp_path: Path) -> None:
    write_runtime_urls(tmp_path, {"TILTS_NATS_URL": settings.nats_url or ""})  # as `tilts up` does; we are alive
    env = cli_env(tmp_path, nats_url=None, stream=settings.stream_name, prefix=settings.subject_prefix)

    run = await tilts(env, "audit", "verify")

    assert run.code == 0, run.stdout + run.stderr


async def test_a_time_without_an_offset_is_refused(env: dict[str, str]) -> None:
    run = await tilts(env, "audit", "replay", "--from-time", "2020-01-01T00:00:00")

    assert run.code == 2 and "--from-time" in run.stderr


async def test_replay_stops_with_exit_1_at_a_message_that_is_not_an_event(
        intake: Harness, tampered: tuple[str, str, int], env: dict[str, str]) -> None:
    stream, prefix, sequence = tampered
    await intake.app.state.runtime.log.js.publish(f"{prefix}.jelgava.case.c-1", b"not json", stream=stream)

    run = await tilts({**env, "TILTS_STREAM_NAME": stream, "TILTS_SUBJECT_PREFIX": prefix}, "audit", "replay")

    assert run.code == 1, run.stdout + run.stderr
    assert len(run.stdout.splitlines()) == sequence  # every event before it was printed
    assert f"sequence {sequence + 1} is not a stored event" in run.stderr
