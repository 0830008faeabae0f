"""The intake's notary on real NATS and PostgreSQL: events posted are checkpointed, signed and provable."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from shared.audit import replay, verify_chains
from shared.audit.notarised import checkpoint_checker, prove_consistency, prove_inclusion, read_checkpoints
from shared.canonical import canonical_json
from shared.config import Settings
from shared.notary.checkpoints import Checkpoint
from shared.notary.keys import NotarySigner
from shared.notary.merkle import Frontier, leaf_hash
from shared.notary.notary import Notary
from shared.notary.store import CheckpointStore, checkpoint_stream
from shared.runtime import Runtime
from services.intake.bootstrap import create_app as create_intake
from tests.support.harness import Harness, running
from tests.support.world import World, must_post


@pytest.fixture(scope="module")
async def notarised(make_settings: Callable[..., Awaitable[Settings]]) -> AsyncIterator[Harness]:
    """An intake whose notary looks every 0.1 s and checkpoints every 5 events."""
    settings = await make_settings(notary_interval_seconds=0.1, notary_max_events=5)
    async with running(create_intake, settings) as harness:
        yield harness


def notary_of(harness: Harness) -> Notary:
    return harness.app.state.notary


def runtime_of(harness: Harness) -> Runtime:
    return harness.app.state.runtime


def store_of(harness: Harness) -> CheckpointStore:
    settings = harness.settings
    return CheckpointStore(runtime_of(harness).js, log_stream=settings.stream_name,
                           subject_prefix=settings.subject_prefix)


async def settled(harness: Harness) -> Checkpoint:
    """The checkpoint covering everything posted so far."""
    last = await runtime_of(harness).log.last_sequence()
    assert await notary_of(harness).wait_for(last, 15), notary_of(harness).health
    latest = await store_of(harness).latest()
    assert latest is not None and latest.checkpoint is not None and latest.checkpoint.size == last
    return latest.checkpoint


async def test_posted_events_are_covered_by_signed_checkpoints_that_verify(notarised: Harness, unique_id: str) -> None:
    world = await World.create(notarised, unique_id)
    await world.case(await world.family(persons=("p1",)))
    latest = await settled(notarised)
    key = NotarySigner.from_settings(notarised.settings).key
    settings = notarised.settings
    recorded = await read_checkpoints(runtime_of(notarised).js, stream=settings.stream_name,
                                      subject_prefix=settings.subject_prefix)

    checker = await checkpoint_checker(runtime_of(notarised).js, stream=settings.stream_name,
                                       subject_prefix=settings.subject_prefix, key=key)
    report = await verify_chains(runtime_of(notarised).log, stream=settings.stream_name,
                                 subject_prefix=settings.subject_prefix, checkpoints=checker)

    assert all(r.checkpoint is not None and key.verifies(r.checkpoint) for r in recorded)
    sizes = [r.checkpoint.size for r in recorded]  # type: ignore[union-attr]
    assert sizes == sorted(set(sizes))
    assert report.intact and report.checkpoints is not None
    assert report.checkpoints.matching == len(recorded) >= 2
    assert report.checkpoints.covered == latest.size == report.last_sequence


async def test_an_auditor_recomputes_the_signed_root_from_replay_output(notarised: Harness, unique_id: str) -> None:
    world = await World.create(notarised, unique_id)
    await world.case(await world.family(persons=("p1",)))  # sealed personal data among them
    latest = await settled(notarised)
    frontier = Frontier()

    async for event in replay(runtime_of(notarised).log, stream=notarised.settings.stream_name,
                              to_sequence=latest.size):
        line = json.loads(event.__pydantic_serializer__.to_json(event, exclude_none=True))  # as the CLI prints it
        del line["sequence"]
        frontier.append(leaf_hash(canonical_json(line)))  # the stored bytes: canonical JSON without `sequence`

    assert frontier.size == latest.size and frontier.root() == latest.root


async def ready_answer(harness: Harness) -> httpx.Response:
    """/readyz once it says ready, or its last answer after a few seconds (projections start briefly)."""
    for _ in range(250):
        answer = await harness.client.get("/readyz")
        if answer.status_code == 200:
            break
        await asyncio.sleep(0.02)
    return answer


async def test_readiness_reports_the_notary(notarised: Harness) -> None:
    answer = await ready_answer(notarised)

    assert answer.status_code == 200 and answer.json()["checks"]["notary"] == "ok"


async def test_an_auditor_s_saved_checkpoint_is_proven_consistent_with_a_later_one(
        notarised: Harness, unique_id: str) -> None:
    world = await World.create(notarised, unique_id)
    saved = await settled(notarised)
    await world.cooperation()
    await world.case(await world.family())
    later = await settled(notarised)

    result = await prove_consistency(runtime_of(notarised).log, stream=notarised.settings.stream_name,
                                     first=saved, second=later)

    assert later.size > saved.size
    assert result.passed and result.proof_verifies and result.first_root_in_log and result.second_root_in_log
    assert result.proof and result.log_size == later.size


async def test_an_event_is_proven_included_in_the_latest_checkpoint(notarised: Harness, unique_id: str) -> None:
    world = await World.create(notarised, unique_id)
    posted = await must_post(notarised, world.activity(None, "v1", municipality_id=world.municipality),
                             world.as_mediator)
    latest = await settled(notarised)

    result = await prove_inclusion(runtime_of(notarised).log, stream=notarised.settings.stream_name,
                                   sequence=posted["sequence"], checkpoint=latest)

    assert result.passed and result.event == {"id": posted["id"], "type": "tilts.activity.recorded"}


async def test_a_notary_restarted_with_the_service_resumes_the_same_line(
        make_settings: Callable[..., Awaitable[Settings]], unique_id: str) -> None:
    settings = await make_settings(notary_interval_seconds=0.1, notary_max_events=1000)
    async with running(create_intake, settings) as first:
        await World.create(first, unique_id)
        before = await settled(first)
    async with running(create_intake, settings) as second:
        await World.create(second, f"{unique_id}b")
        after = await settled(second)
        result = await prove_consistency(runtime_of(second).log, stream=settings.stream_name, first=before,
                                         second=after)
        sizes = [r.checkpoint.size for r in await read_checkpoints(  # type: ignore[union-attr]
            runtime_of(second).js, stream=settings.stream_name, subject_prefix=settings.subject_prefix)]

    assert result.passed
    assert before.size in sizes and sizes == sorted(set(sizes))  # one line: the second start went on from the first


async def test_with_the_notary_disabled_no_checkpoint_stream_is_made(
        make_settings: Callable[..., Awaitable[Settings]], unique_id: str) -> None:
    settings = await make_settings(notary_enabled=False)
    async with running(create_intake, settings) as intake:
        await World.create(intake, unique_id)
        ready = await ready_answer(intake)
        streams = await runtime_of(intake).js.streams_info()

    assert intake.app.state.notary is None and ready.status_code == 200
    assert checkpoint_stream(settings.stream_name) not in {s.config.name for s in streams}


async def test_readiness_reports_a_notary_stopped_on_a_checkpoint_it_did_not_sign(
        make_settings: Callable[..., Awaitable[Settings]], unique_id: str) -> None:
    settings = await make_settings(notary_interval_seconds=0.1)
    async with running(create_intake, settings) as intake:
        await World.create(intake, unique_id)
        genuine = await settled(intake)
        forged = Checkpoint(**{**vars(genuine), "size": genuine.size + 1, "signature": bytes(64)})
        number = await store_of(intake).append(forged, after=await store_of(intake).count())
        await World.create(intake, f"{unique_id}b")  # new events: the notary's next append meets the forgery
        for _ in range(300):
            answer = await intake.client.get("/readyz")
            if answer.status_code == 503:
                break
            await asyncio.sleep(0.02)

    assert answer.status_code == 503
    assert answer.json()["checks"]["notary"].startswith(
        f"stopped: checkpoint {number} was not signed by this notary's key")
