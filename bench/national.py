"""A synthetic year of national-scale mediator work, written straight into the stream.

200 mediators in 40 municipalities, each with families, persons and cases, doing ~19 pieces of
work a working day (activities, cooperations and the institutions' answers, referrals,
outcomes, monthly reports and their approval), about 2% of it recorded weeks late. Every event
is a valid stored envelope with its aggregate's hash chain, appended in JetStream atomic batches
(one fsync each) so a million events load in about a minute.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from nats.aio.client import Client as NATS

from shared.bus.subjects import NATIONAL, Subjects
from shared.canonical import canonical_json, sha256_hex
from shared.events.envelope import GENESIS_HASH
from shared.riga import RIGA

DOMAINS = ("education", "social", "health", "employment", "housing", "documents")
KINDS = ("home_visit", "consultation", "document_assistance", "accompaniment", "interpreting")
OUTCOMES = ("school_enrolled", "attendance_improved", "job_obtained", "benefit_granted", "documents_obtained")
NARRATIVE = {"main_issues": "Skolas apmeklējums un dokumenti", "glad_about": "Bērni atgriezās skolā",
             "challenges": "Valodas barjera", "next_priorities": "Darba meklēšana ar NVA"}
# (what, weight) of a mediator's work on an ordinary day
WORK = (("case_activity", 30), ("family_activity", 12), ("community_activity", 3), ("cooperation", 28),
        ("answer", 8), ("referral", 4), ("referral_answer", 4), ("outcome", 4))


@dataclass
class _Aggregate:
    subject: str
    version: int = 0
    last_hash: str = GENESIS_HASH


@dataclass
class _Mediator:
    id: str
    municipality: str
    families: list[tuple[str, list[str]]] = field(default_factory=list)
    cases: list[tuple[str, str]] = field(default_factory=list)  # (case, family)
    unanswered: list[tuple[str, str, str]] = field(default_factory=list)  # (cooperation, institution, contact)
    referrals: list[tuple[str, str, str]] = field(default_factory=list)  # (referral, institution, status)


class NationalYear:
    """The events of one synthetic year, in the order they are appended."""

    def __init__(self, *, mediators: int = 200, events: int = 1_000_000, year: int = 2024, seed: int = 7,
                 subjects: Subjects = Subjects("tilts.ev")) -> None:
        self.rng = random.Random(seed)
        self.total, self.year, self.subjects = events, year, subjects
        self.places = [f"pasvaldiba-{n:02d}" for n in range(1, max(1, mediators // 5) + 1)]
        self.mediators = [_Mediator(f"med-{n:03d}", self.places[n % len(self.places)]) for n in range(mediators)]
        self.institutions = {p: [(f"inst-{p}-{k}", [f"ct-{p}-{k}-{c}" for c in (1, 2)]) for k in range(8)]
                             for p in self.places}
        self.aggregates: dict[tuple[str, str], _Aggregate] = {}
        self.days = [d for d in (date(year, 1, 1) + timedelta(n) for n in range(366)) if d.year == year and
                     d.weekday() < 5]
        self.count = 0

    # --- envelopes -------------------------------------------------------------------------------

    def _at(self, day: date) -> str:
        minute = self.rng.randint(8 * 60 + 30, 17 * 60)
        return datetime(day.year, day.month, day.day, minute // 60, minute % 60, self.rng.randint(0, 59),
                        tzinfo=RIGA).isoformat()

    def _event(self, type_: str, aggregate: tuple[str, str], place: str, actor: tuple[str, str], day: date,
               data: dict) -> tuple[str, bytes]:
        state = self.aggregates.get(aggregate)
        if state is None:
            state = self.aggregates[aggregate] = _Aggregate(self.subjects.aggregate(place, *aggregate))
        event_id = uuid.UUID(int=self.rng.getrandbits(128)).hex
        # What StoredEvent.chain writes, without building the model (a third of the cost).
        body = {"specversion": "1.0", "datacontenttype": "application/json", "id": event_id,
                "source": "bench/national", "type": type_, "time": self._at(day), "subject": "/".join(aggregate),
                "recordedtime": f"{day.isoformat()}T18:00:00Z", "actor": actor[0], "actorrole": actor[1],
                "municipalityid": place, "aggregatetype": aggregate[0], "aggregateid": aggregate[1],
                "version": state.version + 1, "schemaversion": 1, "fingerprint": f"sha256:{event_id}",
                "prevhash": state.last_hash, "data": data}
        digest = sha256_hex(canonical_json(body))
        state.version, state.last_hash = state.version + 1, digest
        self.count += 1
        return state.subject, canonical_json({**body, "hash": digest})

    # --- the year --------------------------------------------------------------------------------

    def events(self) -> Iterator[tuple[str, bytes]]:
        """Every event of the year, registrations first, then day by day; exactly `events` of them."""
        for item in self._all():
            yield item
            if self.count >= self.total:
                return

    def _all(self) -> Iterator[tuple[str, bytes]]:
        yield from self._registrations()
        per_day = max(1, -(-(self.total - self.count) // (len(self.mediators) * len(self.days))))
        for number, day in enumerate(self.days):
            for mediator in self.mediators:
                for _ in range(self.rng.randint(per_day // 2, per_day * 3 // 2 + 1)):
                    yield self._work(mediator, day)
                if number + 1 == len(self.days) or self.days[number + 1].month != day.month:
                    yield self._report(mediator, day)
            if day.day <= 7 and day.weekday() == 0 and day.month > 1:
                for mediator in self.mediators:
                    yield self._approval(mediator, day)

    def _registrations(self) -> Iterator[tuple[str, bytes]]:
        admin, first = ("admin", "admin"), self.days[0]
        for place in self.places:
            yield self._event("tilts.municipality.registered", ("municipality", place), place, admin, first,
                              {"municipality_id": place, "name": f"Pašvaldība {place[-2:]}"})
            for institution, contacts in self.institutions[place]:
                yield self._event("tilts.institution.registered", ("institution", institution), place, admin, first,
                                  {"institution_id": institution, "municipality_id": place,
                                   "name": f"Iestāde {institution[-4:]}", "kind": "school"})
                for contact in contacts:
                    yield self._event("tilts.institution.contact_added", ("institution", institution), place, admin,
                                      first, {"institution_id": institution, "contact_id": contact,
                                              "name": "Ilze Kalniņa", "role": "sociālā pedagoģe"})
        for mediator in self.mediators:
            yield self._event("tilts.mediator.registered", ("mediator", mediator.id), NATIONAL, admin, first,
                              {"mediator_id": mediator.id, "display_name": f"Mediators {mediator.id[-3:]}",
                               "municipality_ids": [mediator.municipality]})
        for mediator in self.mediators:
            yield from self._families(mediator, first)

    def _families(self, mediator: _Mediator, day: date) -> Iterator[tuple[str, bytes]]:
        me, place = (mediator.id, "mediator"), mediator.municipality
        for n in range(25):
            family = f"fam-{mediator.id}-{n:02d}"
            yield self._event("tilts.family.registered", ("family", family), place, me, day, {
                "family_id": family, "municipality_id": place,
                "consent": {"given_on": day.isoformat(), "scope": "mediācija un ziņošana"}})
            persons = [f"{family}-p{k}" for k in range(3)]
            for k, person in enumerate(persons):
                yield self._event("tilts.person.added", ("family", family), place, me, day, {
                    "family_id": family, "person_id": person, "relation": "parent" if k == 0 else "child",
                    "birth_year": 1985 if k == 0 else 2012 + k})
            mediator.families.append((family, persons))
            for c in range(2):
                case = f"case-{family}-{c}"
                yield self._event("tilts.case.opened", ("case", case), place, me, day, {
                    "case_id": case, "family_id": family, "domain": DOMAINS[(n + c) % len(DOMAINS)],
                    "need": "atbalsts"})
                mediator.cases.append((case, family))

    def _work(self, mediator: _Mediator, day: date) -> tuple[str, bytes]:
        what = self.rng.choices([w for w, _ in WORK], [n for _, n in WORK])[0]
        if what == "answer" and not mediator.unanswered:
            what = "cooperation"
        if what == "referral_answer" and not any(r[2] != "done" for r in mediator.referrals):
            what = "referral"
        if self.rng.random() < 0.02:  # recorded on a phone offline, synced weeks later
            day = max(self.days[0], day - timedelta(days=self.rng.randint(10, 40)))
        return getattr(self, f"_{what}")(mediator, day)

    def _persons(self, family: str) -> list[str]:
        persons = [f"{family}-p{k}" for k in range(3)]
        return self.rng.sample(persons, self.rng.randint(0, 2))

    def _case_activity(self, mediator: _Mediator, day: date) -> tuple[str, bytes]:
        case, family = self.rng.choice(mediator.cases)
        activity = f"act-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20]}"
        return self._event("tilts.activity.recorded", ("case", case), mediator.municipality, (mediator.id, "mediator"),
                           day, {"activity_id": activity, "kind": self.rng.choice(KINDS),
                                 "domain": self.rng.choice(DOMAINS), "case_id": case,
                                 "person_ids": self._persons(family), "duration_minutes": 45})

    def _family_activity(self, mediator: _Mediator, day: date) -> tuple[str, bytes]:
        family, _ = self.rng.choice(mediator.families)
        activity = f"act-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20]}"
        return self._event("tilts.activity.recorded", ("activity", activity), mediator.municipality,
                           (mediator.id, "mediator"), day,
                           {"activity_id": activity, "kind": self.rng.choice(KINDS), "domain": "social",
                            "family_id": family, "person_ids": self._persons(family)})

    def _community_activity(self, mediator: _Mediator, day: date) -> tuple[str, bytes]:
        activity = f"act-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20]}"
        return self._event("tilts.activity.recorded", ("activity", activity), mediator.municipality,
                           (mediator.id, "mediator"), day,
                           {"activity_id": activity, "kind": "community_event", "domain": "community",
                            "municipality_id": mediator.municipality, "participants": 25})

    def _cooperation(self, mediator: _Mediator, day: date) -> tuple[str, bytes]:
        institution, contacts = self.rng.choice(self.institutions[mediator.municipality])
        cooperation = f"co-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20]}"
        contact = self.rng.choice(contacts)
        data = {"cooperation_id": cooperation, "institution_id": institution, "contact_id": contact,
                "domain": self.rng.choice(DOMAINS), "channel": "meeting", "purpose": "kavējumu iemesli"}
        if self.rng.random() < 0.8:
            data["case_id"] = self.rng.choice(mediator.cases)[0]
        mediator.unanswered.append((cooperation, institution, contact))
        return self._event("tilts.cooperation.recorded", ("cooperation", cooperation), mediator.municipality,
                           (mediator.id, "mediator"), day, data)

    def _answer(self, mediator: _Mediator, day: date) -> tuple[str, bytes]:
        cooperation, institution, contact = mediator.unanswered.pop(self.rng.randrange(len(mediator.unanswered)))
        disputed = self.rng.random() < 0.04
        data = {"cooperation_id": cooperation, "contact_id": contact}
        if disputed:
            data["reason"] = "Tikšanās nenotika"
        return self._event("tilts.cooperation.disputed" if disputed else "tilts.cooperation.acknowledged",
                           ("cooperation", cooperation), mediator.municipality, (f"{institution}-api", "institution"),
                           day, data)

    def _referral(self, mediator: _Mediator, day: date) -> tuple[str, bytes]:
        case, _ = self.rng.choice(mediator.cases)
        institution, _ = self.rng.choice(self.institutions[mediator.municipality])
        referral = f"ref-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20]}"
        mediator.referrals.append((referral, institution, "made"))
        return self._event("tilts.referral.made", ("referral", referral), mediator.municipality,
                           (mediator.id, "mediator"), day,
                           {"referral_id": referral, "case_id": case, "institution_id": institution,
                            "service": "konsultācija"})

    def _referral_answer(self, mediator: _Mediator, day: date) -> tuple[str, bytes]:
        index = next(i for i, r in enumerate(mediator.referrals) if r[2] != "done")
        referral, institution, status = mediator.referrals[index]
        move = "accepted" if status == "made" else self.rng.choice(("completed", "completed", "declined"))
        mediator.referrals[index] = (referral, institution, "accepted" if move == "accepted" else "done")
        return self._event(f"tilts.referral.{move}", ("referral", referral), mediator.municipality,
                           (f"{institution}-api", "institution"), day, {"referral_id": referral})

    def _outcome(self, mediator: _Mediator, day: date) -> tuple[str, bytes]:
        case, family = self.rng.choice(mediator.cases)
        outcome = f"out-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20]}"
        return self._event("tilts.outcome.recorded", ("case", case), mediator.municipality, (mediator.id, "mediator"),
                           day, {"outcome_id": outcome, "case_id": case, "kind": self.rng.choice(OUTCOMES),
                                 "person_ids": self._persons(family)[:1]})

    def _report(self, mediator: _Mediator, day: date) -> tuple[str, bytes]:
        report = f"rep-{mediator.id}-{day:%Y-%m}"
        return self._event("tilts.report.submitted", ("report", report), NATIONAL, (mediator.id, "mediator"), day,
                           {"report_id": report, "month": f"{day:%Y-%m}", "narrative": NARRATIVE})

    def _approval(self, mediator: _Mediator, day: date) -> tuple[str, bytes]:
        previous = (day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        return self._event("tilts.report.approved", ("report", f"rep-{mediator.id}-{previous}"), NATIONAL,
                           ("coordinator", "coordinator"), day, {"report_id": f"rep-{mediator.id}-{previous}"})


async def append_atomically(nc: NATS, events: Iterator[tuple[str, bytes]], *, batch: int = 500,
                            progress: Callable[[int], None] = lambda _: None) -> int:
    """Append events in JetStream atomic batches (one fsync per batch); the last sequence."""
    last, done, chunk = 0, 0, []
    for item in events:
        chunk.append(item)
        if len(chunk) == batch:
            last = await _commit(nc, chunk)
            done += len(chunk)
            chunk = []
            progress(done)
    if chunk:
        last = await _commit(nc, chunk)
        progress(done + len(chunk))
    return last


async def _commit(nc: NATS, chunk: list[tuple[str, bytes]]) -> int:
    batch_id = uuid.uuid4().hex
    for number, (subject, payload) in enumerate(chunk[:-1], start=1):
        await nc.publish(subject, payload, headers={"Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(number)})
    subject, payload = chunk[-1]
    reply = await nc.request(subject, payload, timeout=30, headers={
        "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(len(chunk)), "Nats-Batch-Commit": "1"})
    answer = json.loads(reply.data)
    if "error" in answer:
        raise RuntimeError(f"atomic batch refused: {answer['error']}")
    return int(answer["seq"])
