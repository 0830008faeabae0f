"""At-least-once under stress: restarts mid-flight, expired leases, replays, two workers at once."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg

from services.notifications.adapters.deliveries import DeliveryStore
from services.notifications.adapters.wakeup import Wakeup
from tests.support.harness import Harness
from tests.support.inboxes import WebhookReceiver, eventually
from tests.support.live_server import serving
from tests.support.notify import (caught_up, deliveries, notifications_settings, running_notifications, settled,
                                  subscribe)
from tests.support.world import World

SCHEMA = "tilts_notifications"


async def _sql(database_url: str, statement: str, *args: object) -> str:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.execute(statement, *args)
    finally:
        await connection.close()


async def test_a_restart_mid_flight_loses_nothing_and_sends_nothing_twice_to_a_healthy_endpoint(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver(lambda n: (0.2, 200))  # healthy, but each answer takes a while
    settings = await notifications_settings(make_settings, live_intake, notify_per_target_concurrency=2)
    async with serving(receiver, lifespan="off") as url:
        async with running_notifications(settings) as notify:
            await subscribe(notify, world, "webhook", url)
            cooperations = [await world.cooperation(f"coop{n}") for n in range(12)]
            await eventually(lambda: len(receiver.requests) >= 2, what="the first deliveries")
        # Stopped while deliveries were in flight and others still waited.
        assert len(receiver.requests) < 12
        async with running_notifications(settings) as notify:
            await settled(notify, world, 12, "delivered")
        bodies = [r.body.decode() for r in receiver.requests]
        assert sorted(Counter(receiver.ids()).values()) == [1] * 12
        assert all(any(c in body for body in bodies) for c in cooperations)


async def test_a_delivery_leased_by_a_worker_that_died_is_sent_once_the_lease_runs_out(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver()
    settings = await notifications_settings(make_settings, live_intake)
    async with serving(receiver, lifespan="off") as url:
        async with running_notifications(settings) as notify:
            await subscribe(notify, world, "webhook", f"{url}/never-reached-yet")
            await notify.app.state.parts.worker.stop(grace_seconds=1)  # only the fan-out runs now
            await world.cooperation("coop")
            [pending] = await settled(notify, world, 1, "pending")
        await _sql(settings.database_url, f"""UPDATE {SCHEMA}.deliveries SET lease_owner = 'worker-dead',
                   leased_until = now() + interval '1.5 seconds', attempts = 1 WHERE delivery_id = $1""", pending["id"])
        async with running_notifications(settings) as notify:
            await asyncio.sleep(0.5)
            assert receiver.requests == []  # the lease still holds
            [delivered] = await settled(notify, world, 1, "delivered")
            assert delivered["attempts"] == 2 and len(receiver.requests) == 1


async def test_a_replayed_log_creates_no_second_delivery(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver()
    settings = await notifications_settings(make_settings, live_intake)
    async with serving(receiver, lifespan="off") as url:
        async with running_notifications(settings) as notify:
            await subscribe(notify, world, "webhook", url)
            await world.cooperation("coop1")
            await world.cooperation("coop2")
            await settled(notify, world, 2, "delivered")
        # Every event is read and applied again, as after a lost position or a rebuild.
        await _sql(settings.database_url, f"UPDATE {SCHEMA}.projection_positions SET position = 0")
        async with running_notifications(settings) as notify:
            await caught_up(notify, live_intake)
            assert len(await deliveries(notify, world)) == 2
            await asyncio.sleep(0.3)
            assert len(receiver.requests) == 2


async def test_two_processes_share_the_work_and_never_send_the_same_delivery(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver(lambda n: (0.02, 200))
    settings = await notifications_settings(make_settings, live_intake, notify_per_target_concurrency=8)
    async with serving(receiver, lifespan="off") as url:
        async with running_notifications(settings) as first, running_notifications(settings):
            await subscribe(first, world, "webhook", url)
            await asyncio.gather(*(world.cooperation(f"coop{n}") for n in range(30)))
            await settled(first, world, 30, "delivered")
        assert len(receiver.requests) == 30 and len(set(receiver.ids())) == 30


async def test_concurrent_claims_never_hand_out_the_same_delivery(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake)
    async with running_notifications(settings) as notify:
        await subscribe(notify, world, "webhook", "http://127.0.0.1:9/unused")
        await notify.app.state.parts.worker.stop(grace_seconds=1)  # claims are made by hand below
        await asyncio.gather(*(world.cooperation(f"coop{n}") for n in range(20)))
        await settled(notify, world, 20, "pending")
        store = DeliveryStore(notify.app.state.parts.runtime.pool)
        claims = await asyncio.gather(*(store.claim(f"worker-{n}", 7, 30.0, 20, {}) for n in range(4)))
        claimed = [d.delivery_id for claim in claims for d in claim]
        assert len(claimed) == 20 and len(set(claimed)) == 20
        assert await store.claim("worker-late", 10, 30.0, 20, {}) == []  # all leased
        await store.release(claimed, "worker-0")  # only the lease holder can give a lease back
        assert len(await store.claim("worker-late", 10, 30.0, 20, {})) == len(claims[0])


async def test_claims_respect_the_per_origin_limit_counting_what_is_in_flight(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake)
    async with running_notifications(settings) as notify:
        await subscribe(notify, world, "webhook", "http://127.0.0.1:9/unused")
        await notify.app.state.parts.worker.stop(grace_seconds=1)
        await asyncio.gather(*(world.cooperation(f"coop{n}") for n in range(6)))
        await settled(notify, world, 6, "pending")
        store = DeliveryStore(notify.app.state.parts.runtime.pool)
        origin = "http://127.0.0.1:9"
        assert len(await store.claim("worker-a", 10, 30.0, 4, {})) == 4
        assert len(await store.claim("worker-a", 10, 30.0, 4, {origin: 3})) == 1
        assert await store.claim("worker-a", 10, 30.0, 4, {origin: 4}) == []


async def test_the_wakeup_keeps_listening_after_postgresql_goes_away_between_connect_and_listen(
        make_settings, monkeypatch) -> None:
    database_url = (await make_settings()).database_url
    listen = asyncpg.Connection.add_listener
    refused: list[str] = []

    async def gone_once(self: asyncpg.Connection, channel: str, callback: object) -> None:
        if not refused:
            refused.append(channel)
            self.terminate()
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        await listen(self, channel, callback)

    monkeypatch.setattr(asyncpg.Connection, "add_listener", gone_once)
    wakeup = Wakeup(database_url, "tilts_test_wakeup")
    wakeup.start()
    try:
        await eventually(lambda: wakeup.event.is_set(), what="listening on the second try")
        assert refused == ["tilts_test_wakeup"]
        wakeup.event.clear()
        await _sql(database_url, "NOTIFY tilts_test_wakeup")
        await eventually(lambda: wakeup.event.is_set(), what="the NOTIFY's wake-up")
    finally:
        await wakeup.stop()
