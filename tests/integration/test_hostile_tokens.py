"""Token attacks over HTTP, against every service: forged tokens are a 401, and a real token used
outside its scope is a 403 (a write or a named scope) or a 404 (a record it may not know of).
Each attack claims to be an admin; a genuine admin token gets through the same request."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from shared.config import Settings
from shared.roles import Role
from services.intake.bootstrap import create_app as create_intake
from tests.support.beside import readers_beside
from tests.support.forgery import FORGERIES, bearer
from tests.support.harness import Harness, event, running
from tests.support.reporting import log_head
from tests.support.world import World, must_post


@dataclass
class Services:
    """The three services on one log; a family, an event and a subscription in each municipality."""

    intake: Harness
    reporting: Harness
    notifications: Harness
    world: World
    elsewhere: World  # the same kind of world, in municipalities the first one's mediator is not in
    event_ids: dict[str, str]
    subscription_ids: dict[str, str]

    def harness(self, name: str) -> Harness:
        return {"intake": self.intake, "reporting": self.reporting, "notifications": self.notifications}[name]


async def _subscribe(notifications: Harness, world: World) -> str:
    answer = await notifications.client.post("/v1/subscriptions", headers=world.admin, json={
        "institution_id": world.institution, "channel": "email", "target": "skola@example.lv"})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


async def _family_event(world: World) -> str:
    body = event("tilts.family.registered", {
        "family_id": world.id("family"), "municipality_id": world.municipality,
        "consent": {"given_on": "2020-01-02", "scope": "mediācija"}})
    await must_post(world.harness, body, world.as_mediator)
    return body["id"]


@pytest.fixture(scope="module")
async def services(intake: Harness, make_settings: Callable[..., Awaitable[Settings]]) -> AsyncIterator[Services]:
    world = await World.create(intake, f"tk{uuid.uuid4().hex[:8]}")
    elsewhere = await World.create(intake, f"tk{uuid.uuid4().hex[:8]}")
    event_ids = {"world": await _family_event(world), "elsewhere": await _family_event(elsewhere)}
    async with readers_beside(intake, make_settings) as (reporting, notifications):
        subscription_ids = {"world": await _subscribe(notifications, world),
                            "elsewhere": await _subscribe(notifications, elsewhere)}
        yield Services(intake, reporting, notifications, world, elsewhere, event_ids, subscription_ids)


async def _protected_read(services: Services, name: str, headers: dict[str, str]) -> httpx.Response:
    """A read an admin may make on each service."""
    world = services.world
    if name == "intake":
        return await services.intake.client.get(f"/v1/events/{services.event_ids['world']}", headers=headers)
    if name == "reporting":
        return await services.reporting.client.get(f"/v1/families/{world.id('family')}", headers=headers,
                                                   params={"min_sequence": await log_head(services.intake)})
    return await services.notifications.client.get("/v1/subscriptions", headers=headers,
                                                    params={"institution_id": world.institution})


def _assert_problem(answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == status


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
@pytest.mark.parametrize("service", ["intake", "reporting", "notifications"])
async def test_a_forged_admin_token_is_a_401_where_a_real_one_reads(services: Services, service: str,
                                                                    forgery: str) -> None:
    tokens = services.harness(service).tokens
    assert (await _protected_read(services, service, services.world.admin)).status_code == 200
    refused = await _protected_read(services, service, bearer(FORGERIES[forgery](tokens)))
    _assert_problem(refused, 401)
    assert refused.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
async def test_a_forged_admin_token_writes_nothing_to_the_intake(services: Services, forgery: str) -> None:
    head = await log_head(services.intake)
    body = event("tilts.municipality.registered", {"municipality_id": services.world.id(f"by-{forgery}"),
                                                   "name": "Viltus novads"})
    for path, document in (("/v1/events", body), ("/v1/events:batch", {"events": [body]})):
        answer = await services.intake.client.post(path, json=document,
                                                   headers=bearer(FORGERIES[forgery](services.intake.tokens)))
        _assert_problem(answer, 401)
    assert await log_head(services.intake) == head


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
async def test_a_forged_admin_token_subscribes_nobody(services: Services, forgery: str) -> None:
    notifications, world = services.notifications, services.world
    answer = await notifications.client.post("/v1/subscriptions", headers=bearer(
        FORGERIES[forgery](notifications.tokens)), json={
        "institution_id": world.institution, "channel": "email", "target": "viltus@example.lv"})
    _assert_problem(answer, 401)
    listed = await notifications.client.get("/v1/subscriptions", headers=world.admin,
                                            params={"institution_id": world.institution})
    assert [s["id"] for s in listed.json()["items"]] == [services.subscription_ids["world"]]


def _mediator_tokens(services: Services) -> list[dict[str, str]]:
    """The world's mediator's token, plainly and claiming the other world's municipality as well as
    their own: a mediator's scope is their registration, which a token can narrow but never widen."""
    world, other = services.world, services.elsewhere
    return [world.as_mediator, services.intake.auth(Role.MEDIATOR, world.mediator,
                                                    municipalities=(world.municipality, other.municipality))]


@pytest.mark.parametrize("token", [0, 1], ids=["plain", "claiming-another-municipality"])
async def test_a_mediators_token_used_for_another_municipality_is_refused_by_the_intake(
        services: Services, token: int) -> None:
    headers, other = _mediator_tokens(services)[token], services.elsewhere
    head = await log_head(services.intake)
    family = event("tilts.family.registered", {"family_id": other.id("stolen"), "municipality_id": other.municipality,
                                               "consent": {"given_on": "2020-01-02", "scope": "mediācija"}})
    _assert_problem(await services.intake.client.post("/v1/events", json=family, headers=headers), 403)
    _assert_problem(await services.intake.client.get(f"/v1/events/{services.event_ids['elsewhere']}",
                                                     headers=headers), 404)
    assert await log_head(services.intake) == head


@pytest.mark.parametrize("token", [0, 1], ids=["plain", "claiming-another-municipality"])
async def test_a_mediators_token_used_for_another_municipality_is_refused_by_reporting(
        services: Services, token: int) -> None:
    headers, other, reporting = _mediator_tokens(services)[token], services.elsewhere, services.reporting
    after = {"min_sequence": await log_head(services.intake)}
    _assert_problem(await reporting.client.get(f"/v1/families/{other.id('family')}", headers=headers,
                                               params=after), 404)
    _assert_problem(await reporting.client.get("/v1/reports/summary", headers=headers, params={
        **after, "from": "2020-01-01", "to": "2020-01-31", "municipality_id": other.municipality}), 403)
    _assert_problem(await reporting.client.get("/v1/reports/monthly", headers=headers, params={
        **after, "mediator_id": other.mediator, "month": "2020-01"}), 403)
    own = await reporting.client.get(f"/v1/families/{services.world.id('family')}", headers=headers, params=after)
    assert own.status_code == 200, own.text


async def test_an_institutions_token_used_for_another_institution_is_refused_by_notifications(
        services: Services) -> None:
    notifications, other = services.notifications, services.elsewhere
    headers = services.world.as_institution
    _assert_problem(await notifications.client.post("/v1/subscriptions", headers=headers, json={
        "institution_id": other.institution, "channel": "email", "target": "viltus@example.lv"}), 403)
    _assert_problem(await notifications.client.get("/v1/subscriptions", headers=headers,
                                                   params={"institution_id": other.institution}), 403)
    for method in ("GET", "DELETE"):
        _assert_problem(await notifications.client.request(
            method, f"/v1/subscriptions/{services.subscription_ids['elsewhere']}", headers=headers), 404)
    still = await notifications.client.get(f"/v1/subscriptions/{services.subscription_ids['elsewhere']}",
                                           headers=services.world.admin)
    assert still.status_code == 200


# --- rate limits --------------------------------------------------------------------------------

LIMITED = {"rate_limit_per_second": 1.0, "rate_limit_burst": 3}


async def _assert_limited(harness: Harness, send: Callable[[dict[str, str]], Awaitable[httpx.Response]],
                          allowed: int, busy: str) -> None:
    """A burst of 3 gets `allowed`, then 429s with Retry-After; another token and /healthz still pass."""
    token = harness.auth(Role.ADMIN, busy)
    answers = [await send(token) for _ in range(5)]
    assert [a.status_code for a in answers] == [allowed] * 3 + [429] * 2, [a.text for a in answers]
    _assert_problem(answers[-1], 429)
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert (await send(harness.auth(Role.ADMIN, f"{busy}-calm"))).status_code == allowed
    assert (await harness.client.get("/healthz")).status_code == 200


@pytest.mark.parametrize("service, path", [("reporting", "/v1/cases"), ("notifications", "/v1/subscriptions")])
async def test_a_token_over_its_rate_gets_a_429_from_the_readers(
        intake: Harness, make_settings: Callable[..., Awaitable[Settings]], unique_id: str,
        service: str, path: str) -> None:
    async with readers_beside(intake, make_settings, **LIMITED) as (reporting, notifications):
        harness = reporting if service == "reporting" else notifications
        await _assert_limited(harness, lambda token: harness.client.get(path, headers=token), 200, unique_id)


async def test_a_token_over_its_rate_gets_a_429_on_the_intakes_write_path(
        make_settings: Callable[..., Awaitable[Settings]], unique_id: str) -> None:
    async with running(create_intake, await make_settings(**LIMITED)) as limited:
        def send(token: dict[str, str]) -> Awaitable[httpx.Response]:
            return limited.client.post("/v1/events", headers=token, json=event(
                "tilts.institution.registered", {"institution_id": f"{unique_id}-i", "municipality_id": "nowhere",
                                                 "name": "Skola", "kind": "school"}))
        await _assert_limited(limited, send, 404, unique_id)  # 404: the municipality is not registered
        assert await log_head(limited) == 0
