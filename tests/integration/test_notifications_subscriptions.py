"""Subscriptions: who may subscribe for whom, which targets are refused, what deleting does."""

from __future__ import annotations

from shared.roles import Role
from tests.support.harness import Harness
from tests.support.inboxes import WebhookReceiver
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

