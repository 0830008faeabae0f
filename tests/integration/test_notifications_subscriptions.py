"""Subscriptions: who may subscribe for whom, which targets are refused, what deleting does."""

from __future__ import annotations

import asyncio

from shared.roles import Role
from services.notifications.adapters.schema import SCHEMA
from tests.support.harness import Harness
from tests.support.inboxes import WebhookReceiver, eventually
from tests.support.live_server import serving
from tests.support.notify import (caught_up, deliveries, notifications_settings, running_notifications, settled,
                                  subscribe)
from tests.support.world import World


async def test_an_institution_manages_only_its_own_subscriptions_and_deliveries(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake)
    async with running_notifications(settings) as notify:
        own = world.as_institution
        other = notify.auth(Role.INSTITUTION, "other-api", institution=f"{unique_id}-other")
        body = {"institution_id": world.institution, "channel": "email", "target": "direktore@ozolu-skola.lv"}

        created = await notify.client.post("/v1/subscriptions", json=body, headers=own)
        assert created.status_code == 201 and "secret" not in created.json()
        subscription = created.json()
        assert subscription["event_types"] == ["tilts.cooperation.recorded", "tilts.referral.made"]

        for_another = await notify.client.post("/v1/subscriptions", json=body, headers=other)
        assert for_another.status_code == 403
        assert for_another.headers["content-type"] == "application/problem+json"
        as_mediator = await notify.client.post("/v1/subscriptions", json=body, headers=world.as_mediator)
        assert as_mediator.status_code == 403
        assert (await notify.client.get("/v1/deliveries", params={"institution_id": world.institution},
                                        headers=other)).status_code == 403
        assert (await notify.client.get(f"/v1/subscriptions/{subscription['id']}", headers=other)).status_code == 404
        assert (await notify.client.delete(f"/v1/subscriptions/{subscription['id']}", headers=other)).status_code == 404
        assert (await notify.client.get("/v1/subscriptions", headers=other)).json()["items"] == []
        mine = await notify.client.get("/v1/subscriptions", headers=own)
        assert [s["id"] for s in mine.json()["items"]] == [subscription["id"]]
        assert (await notify.client.get("/v1/subscriptions")).status_code == 401


async def test_a_subscription_names_a_registered_institution_and_valid_fields(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake)
    async with running_notifications(settings) as notify:
        unknown = await notify.client.post("/v1/subscriptions", headers=world.admin, json={
            "institution_id": f"{unique_id}-nowhere", "channel": "email", "target": "a@b.lv"})
        assert unknown.status_code == 404
        invalid = await notify.client.post("/v1/subscriptions", headers=world.admin, json={
            "institution_id": world.institution, "channel": "pigeon", "target": "a@b.lv",
            "event_types": ["tilts.family.registered"], "colour": "blue"})
        assert invalid.status_code == 422
        assert {e["field"] for e in invalid.json()["errors"]} >= {"channel", "event_types.0", "colour"}
        bad_address = await notify.client.post("/v1/subscriptions", headers=world.admin, json={
            "institution_id": world.institution, "channel": "email", "target": "Direktore <d@skola.lv>\r\nBcc: x@y.lv"})
        assert bad_address.status_code == 422 and bad_address.json()["errors"][0]["field"] == "target"
        digest_webhook = await notify.client.post("/v1/subscriptions", headers=world.admin, json={
            "institution_id": world.institution, "channel": "webhook", "target": "https://example.lv/h",
            "digest": "daily"})
        assert digest_webhook.status_code == 422
        malformed = await notify.client.post("/v1/subscriptions",
                                             headers={**world.admin, "Content-Type": "application/json"},
                                             content=b'{"institution_id": 1, "institution_id": 2}')
        assert malformed.status_code == 400


REFUSED_BY_DEFAULT = [
    "http://127.0.0.1:9/hook", "https://127.0.0.1/hook", "https://localhost/hook", "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook", "https://0x7f.1/hook", "https://2130706433/hook", "https://10.0.0.8/hook",
    "https://169.254.169.254/latest/meta-data", "https://0.0.0.0/hook", "https://user:pw@example.lv/hook",
]


async def test_private_and_tricky_targets_are_refused_by_default(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, notify_allow_private_targets=False)
    async with running_notifications(settings) as notify:
        for target in REFUSED_BY_DEFAULT:
            answer = await notify.client.post("/v1/subscriptions", headers=world.admin, json={
                "institution_id": world.institution, "channel": "webhook", "target": target})
            assert answer.status_code == 422, (target, answer.text)
            assert answer.json()["errors"][0]["field"] == "target"
        assert (await notify.client.get("/v1/subscriptions", headers=world.admin)).json()["items"] == []


async def test_local_use_allows_loopback_over_http_but_never_link_local(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, notify_allow_private_targets=True)
    async with running_notifications(settings) as notify:
        for target, status in (("http://127.0.0.1:9/hook", 201), ("http://localhost:9/hook", 201),
                               ("https://169.254.169.254/latest", 422), ("http://8.8.8.8/hook", 422)):
            answer = await notify.client.post("/v1/subscriptions", headers=world.admin, json={
                "institution_id": world.institution, "channel": "webhook", "target": target})
            assert answer.status_code == status, (target, answer.text)
        ftp = await notify.client.post("/v1/subscriptions", headers=world.admin, json={
            "institution_id": world.institution, "channel": "webhook", "target": "ftp://127.0.0.1/hook"})
        assert ftp.status_code == 422 and "or http:// to a loopback or private address" in ftp.text


async def test_targets_are_checked_again_at_delivery_time(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver()
    allowed = await notifications_settings(make_settings, live_intake, notify_allow_private_targets=True)
    async with serving(receiver, lifespan="off") as url:
        async with running_notifications(allowed) as notify:
            await subscribe(notify, world, "webhook", url)
        # The same subscription, now served by a process that may not send to private addresses
        # (as if its host name had been re-pointed at one since it was checked).
        strict = allowed.model_copy(update={"notify_allow_private_targets": False, "notify_max_attempts": 2})
        async with running_notifications(strict) as notify:
            await world.cooperation("coop")
            [parked] = await settled(notify, world, 1, "parked")
            assert parked["last_error"].startswith("target refused")
            assert receiver.requests == []


async def test_deleting_a_subscription_cancels_what_it_has_not_delivered(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver.dead(503)
    settings = await notifications_settings(make_settings, live_intake, notify_backoff_base_seconds=30.0)
    async with serving(receiver, lifespan="off") as url, running_notifications(settings) as notify:
        subscription = await subscribe(notify, world, "webhook", url)
        await world.cooperation("coop")
        await settled(notify, world, 1, "failed")
        deleted = await notify.client.delete(f"/v1/subscriptions/{subscription['id']}", headers=world.as_institution)
        assert deleted.status_code == 204
        gone = await notify.client.get(f"/v1/subscriptions/{subscription['id']}", headers=world.admin)
        assert gone.status_code == 404
        assert [d["status"] for d in await deliveries(notify, world)] == ["cancelled"]
        await world.cooperation("coop2")
        await caught_up(notify, live_intake)
        assert len(await deliveries(notify, world)) == 1 and len(receiver.requests) == 1



async def _recorded(intake: Harness, world: World, cooperation_id: str):
    runtime = intake.app.state.runtime
    [recorded] = await runtime.log.history(runtime.subjects.aggregate(world.municipality, "cooperation",
                                                                      cooperation_id))
    return recorded


async def test_an_event_fanned_out_while_subscribing_is_before_the_subscription_not_missed_by_it(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver()
    settings = await notifications_settings(make_settings, live_intake)
    async with serving(receiver, lifespan="off") as url, running_notifications(settings) as notify:
        await caught_up(notify, live_intake)
        subscriptions = notify.app.state.subscriptions
        log_head = subscriptions._log_head
        raced: list[str] = []

        async def head_then_a_cooperation_fanned_out() -> int:
            """The race, made certain: the head is read, then an event is appended and fanned
            out before the subscription is stored."""
            head = await log_head()
            raced.append(await world.cooperation("raced"))
            await caught_up(notify, live_intake)
            return head

        subscriptions._log_head = head_then_a_cooperation_fanned_out
        subscription = await subscribe(notify, world, "webhook", url)
        subscriptions._log_head = log_head
        after = await world.cooperation("after")

        from_sequence = await notify.app.state.parts.runtime.pool.fetchval(
            f"SELECT from_sequence FROM {SCHEMA}.subscriptions WHERE subscription_id = $1", subscription["id"])
        before, later = await _recorded(live_intake, world, raced[0]), await _recorded(live_intake, world, after)
        # The subscription starts where the fan-out was: what it had fanned out is before it...
        assert before.sequence <= from_sequence < later.sequence
        # ...and everything after reaches it (before the fix it started at the head read earlier,
        # and the raced event, after that head, never reached it).
        [delivered] = await settled(notify, world, 1, "delivered")
        assert delivered["event_id"] == later.id and len(await deliveries(notify, world)) == 1


async def test_a_subscription_made_while_a_fan_out_batch_is_in_flight_starts_after_that_batch(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver()
    settings = await notifications_settings(make_settings, live_intake)
    async with serving(receiver, lifespan="off") as url, running_notifications(settings) as notify:
        first = await subscribe(notify, world, "webhook", f"{url}/first")  # so the batch has someone to reach
        await caught_up(notify, live_intake)
        projection, subscriptions = notify.app.state.parts.fanout._projection, notify.app.state.subscriptions
        store, log_head = projection._store, subscriptions._log_head
        in_flight, go_on = asyncio.Event(), asyncio.Event()
        raced: list[str] = []

        async def paused_store(*args) -> None:
            """The fan-out has read the subscriptions for its batch and not committed yet."""
            in_flight.set()
            await go_on.wait()
            await store(*args)

        async def head_then_a_batch_in_flight() -> int:
            head = await log_head()
            raced.append(await world.cooperation("raced"))
            await asyncio.wait_for(in_flight.wait(), 15)
            return head

        projection._store, subscriptions._log_head = paused_store, head_then_a_batch_in_flight
        creating = asyncio.create_task(subscribe(notify, world, "webhook", f"{url}/second"))
        pool = notify.app.state.parts.runtime.pool

        async def waiting_or_done() -> bool:
            waiting = await pool.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            return creating.done() or waiting > 0
        await eventually(waiting_or_done, what="the new subscription waiting for the batch")
        go_on.set()
        second = await creating
        projection._store, subscriptions._log_head = store, log_head
        after = await world.cooperation("after")

        from_sequence = await pool.fetchval(
            f"SELECT from_sequence FROM {SCHEMA}.subscriptions WHERE subscription_id = $1", second["id"])
        before, later = await _recorded(live_intake, world, raced[0]), await _recorded(live_intake, world, after)
        assert before.sequence <= from_sequence < later.sequence
        await settled(notify, world, 3, "delivered")
        await caught_up(notify, live_intake)
        reached = {(d["subscription_id"], d["event_id"]) for d in await deliveries(notify, world)}
        assert reached == {(first["id"], before.id), (first["id"], later.id), (second["id"], later.id)}
