"""Reach: per institution, which cooperations and referrals it was told of, answered, or not."""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from shared.roles import Role
from tests.support.harness import Harness, event
from tests.support.inboxes import WebhookReceiver
from tests.support.live_server import serving
from tests.support.notify import notifications_settings, running_notifications, settled, subscribe
from tests.support.world import World, must_post


async def _reach(notify: Harness, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = await notify.client.get("/v1/institutions/reach", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _conforms(notify: Harness, method: str, path: str, answer: dict[str, Any], status: str = "200") -> None:
    schema = notify.app.openapi()["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}"
              for e in jsonschema_rs.Draft202012Validator(schema).iter_errors(answer)]
    assert not errors, f"{method} {path} answered outside its schema: {errors[:10]}"


async def test_a_coordinator_sees_which_institutions_were_not_told_of_their_cooperations(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    library, librarian = world.id("library"), world.id("librarian")
    await must_post(live_intake, event("tilts.institution.registered", {
        "institution_id": library, "municipality_id": world.municipality, "name": "Jelgavas bibliotēka",
        "kind": "library"}), world.admin)
    await must_post(live_intake, event("tilts.institution.contact_added", {
        "institution_id": library, "contact_id": librarian, "name": "Anna Liepa", "role": "vadītāja"}), world.admin)
    as_library = live_intake.auth(Role.INSTITUTION, f"{library}-api", institution=library)
    receiver = WebhookReceiver()
    settings = await notifications_settings(make_settings, live_intake)
    async with serving(receiver, lifespan="off") as url, running_notifications(settings) as notify:
        before = await world.cooperation("before-subscribing")  # no subscription yet: never told
        subscribed = await subscribe(notify, world, "webhook", f"{url}/hooks/tilts")
        await world.cooperation("told")
        acknowledged = await world.cooperation("told-and-acknowledged")
        case = await world.case(await world.family("fam"))
        await world.referral(case, service="pagarinātās dienas grupa")
        await settled(notify, world, 3, "delivered")
        await must_post(live_intake, event("tilts.cooperation.acknowledged", {
            "cooperation_id": acknowledged, "contact_id": world.contacts[0]}), world.as_institution)
        for name in ("library-untold", "library-answered"):
            await must_post(live_intake, event("tilts.cooperation.recorded", {
                "cooperation_id": world.id(name), "institution_id": library, "contact_id": librarian,
                "domain": "education", "channel": "phone", "purpose": "lasīšanas nodarbības"}), world.as_mediator)
        last = await must_post(live_intake, event("tilts.cooperation.disputed", {
            "cooperation_id": world.id("library-answered"), "contact_id": librarian,
            "reason": "tikšanās nenotika"}), as_library)

        coordinator = notify.auth(Role.COORDINATOR, "coord", municipalities=[world.municipality])
        page = await _reach(notify, coordinator, min_sequence=last["sequence"])
        assert page["as_of_sequence"] >= last["sequence"] and page["next"] is None
        lib, school = page["items"]  # ordered by institution id
        assert (lib["institution_id"], school["institution_id"]) == (library, world.institution)
        assert school["name"] == "Jelgavas Ozolu pamatskola" and school["municipality_id"] == world.municipality
        assert school["subscriptions"] == {"webhook": 1, "email": 0}
        assert school["cooperations"] == {"total": 3, "told": 2, "answered": 1, "untold": 1}
        assert school["referrals"] == {"total": 1, "told": 1, "answered": 0, "untold": 0}
        assert school["deliveries"] == {"pending": 0, "failed": 0, "parked": 0}
        assert school["last_told_at"] is not None
        assert lib["subscriptions"] == {"webhook": 0, "email": 0}
        assert lib["cooperations"] == {"total": 2, "told": 0, "answered": 1, "untold": 1}
        assert lib["last_told_at"] is None
        assert before  # the untold school cooperation is the one recorded before the subscription

        paged = await _reach(notify, coordinator, limit=1)
        assert [i["institution_id"] for i in paged["items"]] == [library]
        rest = await _reach(notify, coordinator, limit=1, cursor=paged["next"])
        assert [i["institution_id"] for i in rest["items"]] == [world.institution]

        own = await _reach(notify, notify.auth(Role.INSTITUTION, f"{library}-api", institution=library))
        assert [i["institution_id"] for i in own["items"]] == [library]
        auditor = await _reach(notify, notify.auth(Role.AUDITOR, "aud"), municipality_id=world.municipality)
        assert [i["institution_id"] for i in auditor["items"]] == [library, world.institution]
        assert (await _reach(notify, notify.auth(Role.ADMIN, "admin-1"), institution_id=library))["items"][0]["cooperations"]["total"] == 2

        # Every answer as the OpenAPI documents it.
        admin = notify.auth(Role.ADMIN, "admin-1")
        _conforms(notify, "post", "/v1/subscriptions", subscribed, status="201")
        _conforms(notify, "get", "/v1/institutions/reach", page)
        for path, documented in (("/v1/subscriptions", "/v1/subscriptions"), ("/v1/deliveries", "/v1/deliveries"),
                                 (f"/v1/subscriptions/{subscribed['id']}", "/v1/subscriptions/{subscription_id}")):
            answer = await notify.client.get(path, headers=admin)
            assert answer.status_code == 200, answer.text
            _conforms(notify, "get", documented, answer.json())


async def test_reach_is_refused_outside_the_callers_scope(
        make_settings, live_intake: Harness, unique_id: str) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake)
    async with running_notifications(settings) as notify:
        elsewhere = notify.auth(Role.COORDINATOR, "coord-2", municipalities=[world.other_municipality])
        assert (await _reach(notify, elsewhere, min_sequence=1))["items"] == []
        for params in ({"municipality_id": world.municipality}, {"institution_id": world.institution}):
            refused = await notify.client.get("/v1/institutions/reach", params=params, headers=elsewhere)
            assert refused.status_code == 403, params
            assert refused.headers["content-type"] == "application/problem+json"
        other = notify.auth(Role.INSTITUTION, "other-api", institution=world.id("other"))
        assert (await notify.client.get("/v1/institutions/reach", params={"institution_id": world.institution},
                                        headers=other)).status_code == 403
        mediator = notify.auth(Role.MEDIATOR, world.mediator, municipalities=[world.municipality])
        assert (await notify.client.get("/v1/institutions/reach", headers=mediator)).status_code == 403
        assert (await notify.client.get("/v1/institutions/reach")).status_code == 401
        for params in ({"limit": 0}, {"limit": 1001}, {"cursor": "ж"}, {"min_sequence": -1},
                       {"min_sequence": 10**12}):  # beyond the log: refused at once, not waited for
            invalid = await notify.client.get("/v1/institutions/reach", params=params, headers=notify.auth(Role.ADMIN, "admin-1"))
            assert invalid.status_code == 422, params
            assert invalid.headers["content-type"] == "application/problem+json"
