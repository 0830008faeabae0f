"""A small, unique world of registrations for a test: post events, get ids back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from shared.roles import Role

from .harness import Harness, event


async def post(harness: Harness, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    return await harness.client.post("/v1/events", json=body, headers=headers)


async def must_post(harness: Harness, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    answer = await post(harness, body, headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


@dataclass
class World:
    """Municipality `m`, institution `school` with contacts `c1`/`c2`, mediator `mediator`."""

    harness: Harness
    uid: str
    municipality: str
    other_municipality: str
    institution: str
    contacts: tuple[str, str]
    mediator: str

    @classmethod
    async def create(cls, harness: Harness, uid: str) -> World:
        admin = harness.auth(Role.ADMIN, "admin-1")
        world = cls(harness, uid, f"{uid}-m", f"{uid}-m2", f"{uid}-school", (f"{uid}-c1", f"{uid}-c2"),
                    f"{uid}-med")
        for municipality in (world.municipality, world.other_municipality):
            await must_post(harness, event("tilts.municipality.registered",
                                           {"municipality_id": municipality, "name": "Jelgava"}), admin)
        await must_post(harness, event("tilts.institution.registered", {
            "institution_id": world.institution, "municipality_id": world.municipality,
            "name": "Jelgavas Ozolu pamatskola", "kind": "school", "domains": ["education"]}), admin)
        for contact in world.contacts:
            await must_post(harness, event("tilts.institution.contact_added", {
                "institution_id": world.institution, "contact_id": contact, "name": "Ilze Kalniņa",
                "role": "sociālā pedagoģe"}), admin)
        await must_post(harness, event("tilts.mediator.registered", {
            "mediator_id": world.mediator, "display_name": "Marta Ozoliņa",
            "municipality_ids": [world.municipality]}), admin)
        return world

    @property
    def admin(self) -> dict[str, str]:
        return self.harness.auth(Role.ADMIN, "admin-1")

    @property
    def as_mediator(self) -> dict[str, str]:
        return self.harness.auth(Role.MEDIATOR, self.mediator)

    @property
    def as_institution(self) -> dict[str, str]:
        return self.harness.auth(Role.INSTITUTION, f"{self.institution}-api", institution=self.institution)

    def id(self, name: str) -> str:
        return f"{self.uid}-{name}"

    async def family(self, name: str = "f1", *, surname: str | None = "Zvaigznīte",
                     persons: tuple[str, ...] = ()) -> str:
        family_id = self.id(name)
        data: dict[str, Any] = {"family_id": family_id, "municipality_id": self.municipality,
                                "consent": {"given_on": "2020-01-02", "scope": "mediācija un ziņošana"}}
        if surname:
            data["personal"] = {"surname": surname, "phone": "+371 20000000"}
        await must_post(self.harness, event("tilts.family.registered", data), self.as_mediator)
        for person in persons:
            await must_post(self.harness, event("tilts.person.added", {
                "family_id": family_id, "person_id": person, "relation": "child", "birth_year": 2012}),
                self.as_mediator)
        return family_id

    async def case(self, family_id: str, name: str = "case1", domain: str = "education") -> str:
        case_id = self.id(name)
        await must_post(self.harness, event("tilts.case.opened", {
            "case_id": case_id, "family_id": family_id, "domain": domain, "need": "kavējumu iemesli"}),
            self.as_mediator)
        return case_id

    async def cooperation(self, name: str = "coop1", **extra: Any) -> str:
        cooperation_id = self.id(name)
        await must_post(self.harness, event("tilts.cooperation.recorded", {
            "cooperation_id": cooperation_id, "institution_id": self.institution, "contact_id": self.contacts[0],
            "domain": "education", "channel": "meeting", "purpose": "kavējumu iemesli", **extra}),
            self.as_mediator)
        return cooperation_id

    async def referral(self, case_id: str, name: str = "ref", service: str = "konsultācija") -> str:
        referral_id = self.id(name)
        await must_post(self.harness, event("tilts.referral.made", {
            "referral_id": referral_id, "case_id": case_id, "institution_id": self.institution, "service": service}),
            self.as_mediator)
        return referral_id

    def activity(self, case_id: str | None, name: str, **extra: Any) -> dict[str, Any]:
        data = {"activity_id": self.id(name), "kind": "home_visit", "domain": "education", **extra}
        if case_id:
            data["case_id"] = case_id
        return event("tilts.activity.recorded", data)
