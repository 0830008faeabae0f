"""Webhooks end to end: a real receiver on loopback, signatures checked with the shown secret."""

from __future__ import annotations

import json

import jsonschema_rs

from tests.support.harness import Harness
from tests.support.inboxes import WebhookReceiver, eventually
from tests.support.live_server import serving
from tests.support.notify import (deliveries, notifications_settings, running_notifications, settled,
                                  subscribe)
from tests.support.world import World


async def test_a_cooperation_reaches_the_institutions_webhook_signed_and_without_family_data(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver()
    # The intake's address as institutions reach it, unlike the one notifications posts to.
    settings = await notifications_settings(make_settings, live_intake, public_intake_url="https://api.tilts.test/")
    async with serving(receiver, lifespan="off") as url, running_notifications(settings) as notify:
        subscription = await subscribe(notify, world, "webhook", f"{url}/hooks/tilts")
        assert subscription["secret"].startswith("whsec_")
        family = await world.family("fam", surname=f"Slepena{unique_id}")
        case = await world.case(family)
        cooperation = await world.cooperation("coop", family_id=family, case_id=case)

        await eventually(lambda: receiver.requests, what="a webhook")
        [body] = receiver.verified(subscription["secret"])
        [request] = receiver.requests
        assert request.headers["webhook-id"] == body["id"]
        assert body["type"] == "tilts.cooperation.recorded" and body["source"] == "tilts/notifications"
        data = body["data"]
        assert data["cooperation_id"] == cooperation
        assert data["mediator"] == {"id": world.mediator, "display_name": "Marta Ozoliņa"}
        assert data["institution"] == {"id": world.institution, "name": "Jelgavas Ozolu pamatskola"}
        assert data["contact"] == {"id": world.contacts[0], "name": "Ilze Kalniņa", "role": "sociālā pedagoģe"}
        assert (data["domain"], data["channel"], data["purpose"]) == ("education", "meeting", "kavējumu iemesli")
        assert data["respond"]["link"].startswith("http://notifications.test/v1/ack/")
        assert data["respond"]["intake"]["url"] == "https://api.tilts.test/v1/events"
        assert {e["type"] for e in data["respond"]["intake"]["events"]} == {
            "tilts.cooperation.acknowledged", "tilts.cooperation.disputed"}
        text = request.body.decode()
        assert family not in text and case not in text and f"Slepena{unique_id}" not in text
        # ...and as the OpenAPI document's `webhooks` describes it, headers included.
        documented = notify.app.openapi()["webhooks"]["notice"]["post"]
        schema = documented["requestBody"]["content"]["application/json"]["schema"]
        assert [e.message for e in jsonschema_rs.Draft202012Validator(schema).iter_errors(body)] == []
        assert {p["name"] for p in documented["parameters"]} <= set(request.headers)

        [delivered] = await settled(notify, world, 1, "delivered")
        assert delivered["event_id"] == body["id"] and delivered["attempts"] == 1
        assert delivered["delivered_at"] is not None and delivered["last_error"] is None


async def test_a_receiver_that_fails_twice_gets_the_event_exactly_once_after_three_attempts(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver.failing_first(2)
    settings = await notifications_settings(make_settings, live_intake)
    async with serving(receiver, lifespan="off") as url, running_notifications(settings) as notify:
        subscription = await subscribe(notify, world, "webhook", url)
        await world.cooperation("coop")
        [delivered] = await settled(notify, world, 1, "delivered")
        assert delivered["attempts"] == 3
        assert len(receiver.requests) == 3 and len(set(receiver.ids())) == 1
        assert len(receiver.verified(subscription["secret"])) == 3  # every attempt is signed afresh


async def test_a_dead_receiver_is_parked_after_the_maximum_attempts_and_an_admin_can_requeue_it(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver.dead()
    settings = await notifications_settings(make_settings, live_intake, notify_max_attempts=3)
    async with serving(receiver, lifespan="off") as url, running_notifications(settings) as notify:
        await subscribe(notify, world, "webhook", url)
        await world.cooperation("coop")
        [parked] = await settled(notify, world, 1, "parked")
        assert parked["attempts"] == 3 and parked["last_error"] == "HTTP 500"
        assert parked["next_attempt_at"] is None and len(receiver.requests) == 3

        receiver.answer = lambda n: (0.0, 200)  # the institution fixed its endpoint
        mediator_try = await notify.client.post(f"/v1/deliveries/{parked['id']}:requeue",
                                                headers=world.as_institution)
        assert mediator_try.status_code == 403
        requeued = await notify.client.post(f"/v1/deliveries/{parked['id']}:requeue", headers=world.admin)
        assert requeued.status_code == 200 and requeued.json()["status"] in ("pending", "delivered")
        [delivered] = await settled(notify, world, 1, "delivered")
        assert delivered["id"] == parked["id"] and len(receiver.requests) == 4
        again = await notify.client.post(f"/v1/deliveries/{parked['id']}:requeue", headers=world.admin)
        assert again.status_code == 409  # delivered: its attempts stay as they were
        assert (await deliveries(notify, world))[0]["attempts"] == delivered["attempts"]


async def test_deleting_a_subscription_cancels_its_parked_deliveries_too(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, notify_max_attempts=1)
    async with serving(WebhookReceiver.dead(), lifespan="off") as url, running_notifications(settings) as notify:
        subscription = await subscribe(notify, world, "webhook", url)
        await world.cooperation("coop")
        [parked] = await settled(notify, world, 1, "parked")
        assert (await notify.client.delete(f"/v1/subscriptions/{subscription['id']}",
                                           headers=world.admin)).status_code == 204
        [cancelled] = await deliveries(notify, world)
        assert cancelled["id"] == parked["id"] and cancelled["status"] == "cancelled"
        refused = await notify.client.post(f"/v1/deliveries/{parked['id']}:requeue", headers=world.admin)
        assert refused.status_code == 409


async def test_a_slow_receiver_times_out_and_the_delivery_is_retried(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver.slow_first(1, seconds=1.5)
    settings = await notifications_settings(make_settings, live_intake, notify_timeout_seconds=0.5)
    async with serving(receiver, lifespan="off") as url, running_notifications(settings) as notify:
        await subscribe(notify, world, "webhook", url)
        await world.cooperation("coop")
        [delivered] = await settled(notify, world, 1, "delivered")
        assert delivered["attempts"] == 2
        assert len(receiver.requests) == 2


async def test_a_referral_reaches_the_institution_without_naming_the_case(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    receiver = WebhookReceiver()
    settings = await notifications_settings(make_settings, live_intake)
    async with serving(receiver, lifespan="off") as url, running_notifications(settings) as notify:
        subscription = await subscribe(notify, world, "webhook", url)
        case = await world.case(await world.family("fam"))
        referral = await world.referral(case, service="sociālā palīdzība")
        await eventually(lambda: receiver.requests, what="a webhook")
        [body] = receiver.verified(subscription["secret"])
        assert body["type"] == "tilts.referral.made"
        assert body["data"]["referral_id"] == referral and body["data"]["service"] == "sociālā palīdzība"
        assert case not in json.dumps(body)
        assert [d["event_type"] for d in await deliveries(notify, world)] == ["tilts.referral.made"]
