"""Mediators' phones under load: mixed work posted to the intake over HTTP, counted by event id.

A phone re-sends the same event (or the same day-sync batch) after a 503 or 429 (waiting as
`Retry-After` says), a timeout or a lost connection, until it is acknowledged: the contract
makes that safe. Every acknowledged id is remembered with the sequence the intake answered, so
the log can be counted against it. Used by the fault tests and by `bench/soak.py`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

import httpx

RETRYABLE = frozenset({429, 503})
RECONNECT_PAUSE_SECONDS = 0.2  # after a refused or dropped connection (the intake restarting)
DEFAULT_RETRY_AFTER_SECONDS = 1.0


def now() -> str:
    return datetime.now(UTC).isoformat()


def cloud_event(type_: str, data: dict[str, Any], prefix: str = "load") -> dict[str, Any]:
    """A CloudEvent with a fresh id, happening now."""
    return {"specversion": "1.0", "id": f"{prefix}-{uuid.uuid4().hex}", "source": f"{prefix}/phone",
            "type": type_, "time": now(), "data": data}


@dataclass(frozen=True)
class Population:
    """A municipality, its mediator, and institutions with one contact each."""

    municipality: str
    mediator: str
    pairs: tuple[tuple[str, str], ...]  # (institution, contact)

    @property
    def institutions(self) -> tuple[str, ...]:
        return tuple(institution for institution, _ in self.pairs)


async def register_population(intake_url: str, admin_token: str, prefix: str, institutions: int) -> Population:
    """Register a municipality, a mediator and `institutions` institutions with a contact each (one batch)."""
    population = Population(f"{prefix}-m", f"{prefix}-med",
                            tuple((f"{prefix}-school-{n}", f"{prefix}-contact-{n}") for n in range(institutions)))
    events = [("tilts.municipality.registered", {"municipality_id": population.municipality, "name": "Jelgava"}),
              ("tilts.mediator.registered", {"mediator_id": population.mediator, "display_name": "Marta Ozoliņa",
                                             "municipality_ids": [population.municipality]})]
    for institution, contact in population.pairs:
        events += [("tilts.institution.registered", {"institution_id": institution, "name": f"Jelgavas {institution}",
                                                     "municipality_id": population.municipality, "kind": "school"}),
                   ("tilts.institution.contact_added", {"institution_id": institution, "contact_id": contact,
                                                        "name": "Ilze Kalniņa", "role": "sociālā pedagoģe"})]
    batch = [{"specversion": "1.0", "id": f"{prefix}-setup-{n}", "source": prefix, "time": now(), "type": t, "data": d}
             for n, (t, d) in enumerate(events)]
    async with httpx.AsyncClient(timeout=60) as client:
        answer = await client.post(f"{intake_url}/v1/events:batch", json={"events": batch},
                                   headers={"Authorization": f"Bearer {admin_token}"})
        assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text[:500]
    return population


async def subscribe_webhooks(notify_url: str, admin_token: str, institutions: tuple[str, ...], receiver_url: str
                             ) -> dict[str, str]:
    """One webhook subscription per institution, to `receiver_url`/hooks/<institution>; path -> secret."""
    secrets = {}
    async with httpx.AsyncClient(timeout=60) as client:
        for institution in institutions:
            path = f"/hooks/{institution}"
            answer = await client.post(f"{notify_url}/v1/subscriptions",
                                       headers={"Authorization": f"Bearer {admin_token}"},
                                       json={"institution_id": institution, "channel": "webhook",
                                             "target": f"{receiver_url}{path}"})
            assert answer.status_code == 201, answer.text
            secrets[path] = answer.json()["secret"]
    return secrets


@dataclass
class Acknowledgements:
    """What the intake answered to a load, by event id."""

    sequences: dict[str, int] = field(default_factory=dict)  # acknowledged id -> its sequence
    resequenced: dict[str, tuple[int, int]] = field(default_factory=dict)  # acknowledged again elsewhere: a bug
    answers: Counter[str] = field(default_factory=Counter)  # "201", "503", "timeout", "item 503"...
    refused: dict[str, str] = field(default_factory=dict)  # id -> a final answer that is not retryable
    gave_up: set[str] = field(default_factory=set)  # never acknowledged within the phone's patience
    cooperations: set[str] = field(default_factory=set)  # acknowledged cooperation events (notified)
    arrivals: list[tuple[float, float]] = field(default_factory=list)  # (attempt sent, acknowledged), monotonic
    longest_wait: float = 0.0  # seconds from a request's first attempt to its acknowledgement
    last_sequence: int = 0

    def acknowledge(self, event_id: str, sequence: int, sent: float, first_sent: float) -> None:
        known = self.sequences.setdefault(event_id, sequence)
        if known != sequence:
            self.resequenced[event_id] = (known, sequence)
        arrived = time.monotonic()
        self.arrivals.append((sent, arrived))
        self.longest_wait = max(self.longest_wait, arrived - first_sent)
        self.last_sequence = max(self.last_sequence, sequence)

    @property
    def count(self) -> int:
        return len(self.sequences)

    def first_acknowledged_after(self, moment: float) -> float | None:
        """Seconds from `moment` until an attempt sent after it was first acknowledged."""
        later = [arrived for sent, arrived in self.arrivals if sent >= moment]
        return min(later) - moment if later else None

    def problems(self) -> list[str]:
        """Answers a phone should never get, whatever failed: a 5xx other than a 503 with Retry-After,
        a refusal, an id never acknowledged, or one acknowledged at two sequences."""
        found = [f"{answer} x{n}" for answer, n in self.answers.items()
                 if answer.removeprefix("item ")[:1] == "5" and answer.removeprefix("item ") != "503"]
        found += [f"refused {i}: {why}" for i, why in list(self.refused.items())[:5]]
        found += [f"gave up on {len(self.gave_up)} ids"] if self.gave_up else []
        found += [f"acknowledged at two sequences: {self.resequenced}"] if self.resequenced else []
        return found


class Phone:
    """Posts like a mediator's app: the same body again until it is acknowledged."""

    def __init__(self, client: httpx.AsyncClient, token: str, acks: Acknowledgements, *,
                 timeout: float | None = None, give_up_after: float = 120.0) -> None:
        self.client, self.headers, self.acks = client, {"Authorization": f"Bearer {token}"}, acks
        self.timeout = timeout if timeout is not None else client.timeout
        self.give_up_after = give_up_after

    async def post(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """POST /v1/events until acknowledged; the answer's body, or None if refused or given up."""
        first = time.monotonic()
        while time.monotonic() - first < self.give_up_after:
            sent = time.monotonic()
            answer = await self._send("/v1/events", body)
            if answer is None:
                continue
            if answer.status_code in (200, 201):
                result = answer.json()
                self.acks.acknowledge(body["id"], result["sequence"], sent, first)
                return result
            if answer.status_code not in RETRYABLE:
                self.acks.refused[body["id"]] = f"{answer.status_code} {answer.text[:300]}"
                return None
            await self._pause(answer)
        self.acks.gave_up.add(body["id"])
        return None

    async def sync(self, events: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """POST /v1/events:batch, the whole batch again until every event in it is acknowledged;
        the last answer's results, or None if refused or given up."""
        first = time.monotonic()
        while time.monotonic() - first < self.give_up_after:
            sent = time.monotonic()
            answer = await self._send("/v1/events:batch", {"events": events})
            if answer is None:
                continue
            if answer.status_code != 200:
                if answer.status_code not in RETRYABLE:
                    self.acks.refused.update({e["id"]: f"{answer.status_code} {answer.text[:300]}" for e in events})
                    return None
                await self._pause(answer)
                continue
            results = answer.json()["results"]
            if self._take_results(results, sent, first):
                return results
            await asyncio.sleep(DEFAULT_RETRY_AFTER_SECONDS)
        self.acks.gave_up.update(e["id"] for e in events if e["id"] not in self.acks.sequences)
        return None

    def _take_results(self, results: list[dict[str, Any]], sent: float, first: float) -> bool:
        """Record a batch's acknowledged items; whether nothing is left to re-send."""
        done = True
        for item in results:
            if item["status"] in ("created", "duplicate"):
                self.acks.acknowledge(item["id"], item["sequence"], sent, first)
                continue
            status = item["problem"]["status"]
            self.acks.answers[f"item {status}"] += 1
            if status in RETRYABLE:
                done = False
            else:
                self.acks.refused[item["id"]] = str(item["problem"])
        return done

    async def _send(self, path: str, document: dict[str, Any]) -> httpx.Response | None:
        try:
            answer = await self.client.post(path, json=document, headers=self.headers, timeout=self.timeout)
        except httpx.TimeoutException:
            self.acks.answers["timeout"] += 1
            return None
        except httpx.TransportError:
            self.acks.answers["disconnected"] += 1
            await asyncio.sleep(RECONNECT_PAUSE_SECONDS)
            return None
        self.acks.answers[str(answer.status_code)] += 1
        if answer.status_code == 503 and "retry-after" not in answer.headers:
            self.acks.answers["503 without Retry-After"] += 1
        return answer

    @staticmethod
    async def _pause(answer: httpx.Response) -> None:
        try:
            seconds = float(answer.headers.get("retry-after", DEFAULT_RETRY_AFTER_SECONDS))
        except ValueError:
            seconds = DEFAULT_RETRY_AFTER_SECONDS
        await asyncio.sleep(seconds)


class MixedWork:
    """A busy mediator's work, unit by unit: a family, a case, two home visits, a cooperation on
    the case (which notifies its institution), then a day-sync batch of five consultations."""

    BATCH = 5

    def __init__(self, phone: Phone, population: Population, prefix: str) -> None:
        self.phone, self.population, self.prefix = phone, population, prefix
        self._numbers = count()

    async def one_unit(self) -> None:
        n = next(self._numbers)
        family, case = f"{self.prefix}-fam-{n}", f"{self.prefix}-case-{n}"
        institution, contact = self.population.pairs[n % len(self.population.pairs)]
        await self.phone.post(cloud_event("tilts.family.registered", {
            "family_id": family, "municipality_id": self.population.municipality,
            "personal": {"surname": f"Kalēja{n}"}, "consent": {"given_on": "2020-01-02", "scope": "mediācija"}},
            self.prefix))
        await self.phone.post(cloud_event("tilts.case.opened", {
            "case_id": case, "family_id": family, "domain": "education", "need": "kavējumi"}, self.prefix))
        for visit in range(2):
            await self.phone.post(cloud_event("tilts.activity.recorded", {
                "activity_id": f"{case}-v{visit}", "case_id": case, "kind": "home_visit", "domain": "education"},
                self.prefix))
        cooperation = cloud_event("tilts.cooperation.recorded", {
            "cooperation_id": f"{self.prefix}-coop-{n}", "institution_id": institution, "contact_id": contact,
            "domain": "education", "channel": "meeting", "purpose": "kavējumu iemesli", "case_id": case},
            self.prefix)
        if await self.phone.post(cooperation) is not None:
            self.phone.acks.cooperations.add(cooperation["id"])
        await self.phone.sync([cloud_event("tilts.activity.recorded", {
            "activity_id": f"{case}-b{k}", "kind": "consultation", "domain": "social", "case_id": case},
            self.prefix) for k in range(self.BATCH)])


def information_sessions(population: Population, prefix: str, count_: int) -> list[dict[str, Any]]:
    """`count_` activities of their own (not on a case): one big day-sync from a phone."""
    return [cloud_event("tilts.activity.recorded", {
        "activity_id": f"{prefix}-info-{n}", "kind": "information_session", "domain": "education",
        "municipality_id": population.municipality, "participants": 12}, prefix) for n in range(count_)]


def cooperations(population: Population, prefix: str, count_: int) -> list[dict[str, Any]]:
    """`count_` cooperations spread over the institutions, each of which is to be notified."""
    return [cloud_event("tilts.cooperation.recorded", {
        "cooperation_id": f"{prefix}-coop-{n}", "institution_id": population.pairs[n % len(population.pairs)][0],
        "contact_id": population.pairs[n % len(population.pairs)][1], "domain": "education", "channel": "phone",
        "purpose": "kavējumu iemesli"}, prefix) for n in range(count_)]


async def keep_working(work: MixedWork, stop: asyncio.Event, pause: float = 0.0) -> None:
    """Work unit after unit until `stop` is set (the unit in hand is finished)."""
    while not stop.is_set():
        await work.one_unit()
        if pause:
            await asyncio.sleep(pause)


@asynccontextmanager
async def phones_working(intake_url: str, token: str, population: Population, prefix: str, acks: Acknowledgements,
                         *, phones: int = 4, timeout: float = 15.0, finish_within: float = 60.0
                         ) -> AsyncIterator[httpx.AsyncClient]:
    """`phones` phones doing mixed work for as long as the block runs (each then finishes its unit,
    within `finish_within` seconds); yields their HTTP client for other requests."""
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=intake_url, timeout=timeout) as client:
        tasks = [asyncio.create_task(keep_working(MixedWork(Phone(client, token, acks), population, f"{prefix}-p{n}"),
                                                  stop)) for n in range(phones)]
        try:
            yield client
        finally:
            stop.set()
            done, pending = await asyncio.wait(tasks, timeout=finish_within)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for task in done:
                task.result()  # a phone that broke fails the test
