"""The fan-out projection: one delivery per matching subscription, committed with the position.

Runs under the shared projection runner, so the directory changes, the notices, the deliveries
and the new stream position are one transaction. A redelivered event is skipped by the
runner's position check; a replay from an older position (a rebuild) meets the unique
(event id, subscription id) key and adds nothing. The NOTIFY that wakes the delivery workers is
sent inside the same transaction, and PostgreSQL delivers it only on COMMIT: a worker never
wakes for deliveries it cannot see yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg

from shared.events.envelope import StoredEvent
from services.notifications.domain import fanout
from services.notifications.domain.fanout import (AnsweredCooperation, AnsweredReferral, Learnt, Names,
                                                  SubscriptionInterest)
from services.notifications.domain.messages import next_digest_at
from services.notifications.domain.notices import Notice

from .schema import FANOUT, SCHEMA, SUBSCRIBING_LOCK, WAKE_CHANNEL

S = SCHEMA
T = TypeVar("T")


async def _write_learnt(connection: asyncpg.Connection, learnt: Learnt) -> None:
    statements = [
        (learnt.institutions, f"""INSERT INTO {S}.institutions VALUES ($1, $2, $3) ON CONFLICT (institution_id)
                                  DO UPDATE SET municipality_id = EXCLUDED.municipality_id, name = EXCLUDED.name"""),
        (learnt.contacts, f"""INSERT INTO {S}.contacts VALUES ($1, $2, $3, $4) ON CONFLICT (institution_id, contact_id)
                              DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role"""),
        (learnt.mediators, f"""INSERT INTO {S}.mediators VALUES ($1, $2) ON CONFLICT (mediator_id)
                               DO UPDATE SET display_name = EXCLUDED.display_name"""),
        (learnt.cooperations, f"""INSERT INTO {S}.cooperations (cooperation_id, institution_id, contact_id, event_id,
                                                                 mediator_id, cooperation_time)
                                  VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"""),
        (learnt.referrals, f"""INSERT INTO {S}.referrals (referral_id, institution_id, event_id, mediator_id,
                                                           referral_time, service)
                               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"""),
        (learnt.cooperation_answers, f"""UPDATE {S}.cooperations SET answer = $2, answered_at = $3::text::timestamptz
                                         WHERE cooperation_id = $1 AND answer IS NULL"""),
        (learnt.referral_answers, f"UPDATE {S}.referrals SET status = $2 WHERE referral_id = $1"),
    ]
    for rows, sql in statements:
        if rows:
            await connection.executemany(sql, rows)


class FanOutProjection:
    """Learns names and answer states from the log, and turns events into deliveries."""

    name = FANOUT
    aggregate_types: frozenset[str] | None = frozenset({"cooperation", "referral", "institution", "mediator"})

    def __init__(self, digest_hour: int, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._digest_hour = digest_hour
        self._clock = clock

    async def apply(self, connection: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        await _write_learnt(connection, fanout.learn(events))
        candidates = fanout.notifiable(events)
        if not candidates:
            return
        institutions = await self._institutions_of(connection, candidates)
        # Held until this batch (and its position) commits: a subscription being created waits,
        # then starts after this batch; one created before is seen by the read below.
        await connection.execute("SELECT pg_advisory_xact_lock($1)", SUBSCRIBING_LOCK)
        interests = await self._interests(connection, set(institutions.values()))
        reached = [(e, [s for s in interests.get(institutions.get(e.id, ""), []) if s.wants(e)])
                   for e in candidates]
        reached = [(e, subs) for e, subs in reached if subs]
        if not reached:
            return
        answered = await self._answered(connection, [e for e, _ in reached])
        names = await self._names(connection, {institutions[e.id] for e, _ in reached},
                                  {e.actor for e, _ in reached} | {a.mediator_id for a in answered.values()
                                                                    if a.mediator_id})
        notices = [fanout.notice_for(e, institutions[e.id], names, answered.get(e.id)) for e, _ in reached]
        await self._store(connection, notices, reached)

    async def _institutions_of(self, connection: asyncpg.Connection,
                               events: list[StoredEvent]) -> dict[str, str]:
        """Event id -> the institution it concerns (answers: the one their cooperation/referral named)."""
        found = {e.id: e.data["institution_id"] for e in events if "institution_id" in e.data}
        answers = [e for e in events if e.id not in found]
        if answers:
            rows = await connection.fetch(
                f"""SELECT 'cooperation' AS kind, cooperation_id AS id, institution_id FROM {S}.cooperations
                    WHERE cooperation_id = ANY($1::text[])
                    UNION ALL
                    SELECT 'referral', referral_id, institution_id FROM {S}.referrals
                    WHERE referral_id = ANY($2::text[])""",
                [fanout.subject_of(e)[1] for e in answers if fanout.subject_of(e)[0] == "cooperation"],
                [fanout.subject_of(e)[1] for e in answers if fanout.subject_of(e)[0] == "referral"])
            owner = {(r["kind"], r["id"]): r["institution_id"] for r in rows}
            for event in answers:
                if (institution := owner.get(fanout.subject_of(event))) is not None:
                    found[event.id] = institution
        return found

    async def _interests(self, connection: asyncpg.Connection,
                         institution_ids: set[str]) -> dict[str, list[SubscriptionInterest]]:
        rows = await connection.fetch(
            f"""SELECT subscription_id, institution_id, channel, origin, event_types, digest, from_sequence
                FROM {S}.subscriptions WHERE deleted_at IS NULL AND institution_id = ANY($1::text[])""",
            list(institution_ids))
        interests: dict[str, list[SubscriptionInterest]] = {}
        for row in rows:
            interest = SubscriptionInterest(**{**dict(row), "event_types": frozenset(row["event_types"])})
            interests.setdefault(interest.institution_id, []).append(interest)
        return interests

    async def _names(self, connection: asyncpg.Connection, institution_ids: set[str],
                     mediator_ids: set[str]) -> Names:
        ids = list(institution_ids)
        institutions = await connection.fetch(
            f"SELECT institution_id, name FROM {S}.institutions WHERE institution_id = ANY($1::text[])", ids)
        contacts = await connection.fetch(
            f"SELECT institution_id, contact_id, name, role FROM {S}.contacts WHERE institution_id = ANY($1::text[])",
            ids)
        mediators = await connection.fetch(
            f"SELECT mediator_id, display_name FROM {S}.mediators WHERE mediator_id = ANY($1::text[])",
            list(mediator_ids))
        return Names({r["institution_id"]: r["name"] for r in institutions},
                     {(r["institution_id"], r["contact_id"]): (r["name"], r["role"]) for r in contacts},
                     {r["mediator_id"]: r["display_name"] for r in mediators})

    async def _answered(self, connection: asyncpg.Connection,
                        events: list[StoredEvent]) -> dict[str, AnsweredCooperation | AnsweredReferral]:
        """Event id -> what an answer answers: the cooperation (its contact, mediator, time) or the
        referral (its mediator, time, service)."""
        cooperations = await _answered_by(connection, events, fanout.COOPERATION_ANSWERS, "cooperation_id", f"""
            SELECT cooperation_id AS id, contact_id, mediator_id, cooperation_time FROM {S}.cooperations
            WHERE cooperation_id = ANY($1::text[])""", lambda r: AnsweredCooperation(
                r["contact_id"], r["mediator_id"], r["cooperation_time"]))
        referrals = await _answered_by(connection, events, fanout.REFERRAL_ANSWERS, "referral_id", f"""
            SELECT referral_id AS id, mediator_id, referral_time, service FROM {S}.referrals
            WHERE referral_id = ANY($1::text[])""", lambda r: AnsweredReferral(
                r["mediator_id"], r["referral_time"], r["service"]))
        return cooperations | referrals

    async def _store(self, connection: asyncpg.Connection, notices: list[Notice],
                     reached: list[tuple[StoredEvent, list[SubscriptionInterest]]]) -> None:
        await connection.executemany(
            f"""INSERT INTO {S}.notices (event_id, event_type, institution_id, sequence, recorded_at, facts)
                VALUES ($1, $2, $3, $4, $5::text::timestamptz, $6) ON CONFLICT (event_id) DO NOTHING""",
            [(n.event_id, n.event_type, n.institution_id, e.sequence, e.recordedtime, n.facts)
             for n, (e, _) in zip(notices, reached, strict=True)])
        digest_at = next_digest_at(self._clock(), self._digest_hour)
        await connection.executemany(
            f"""INSERT INTO {S}.deliveries (delivery_id, event_id, subscription_id, institution_id, channel,
                                             origin, next_attempt_at)
                VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, now()))
                ON CONFLICT (event_id, subscription_id) DO NOTHING""",
            [(str(uuid.uuid4()), e.id, s.subscription_id, s.institution_id, s.channel, s.origin,
              digest_at if s.digest == "daily" else None)
             for e, subs in reached for s in subs])
        await connection.execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)


async def _answered_by(connection: asyncpg.Connection, events: list[StoredEvent], answer_types: Mapping[str, str],
                       key: str, sql: str, make: Callable[[asyncpg.Record], T]) -> dict[str, T]:
    """Event id -> what `make` builds from the row (`sql`, selecting `id`) of the cooperation or
    referral each answer among `events` names by `key`."""
    named = {e.id: e.data[key] for e in events if e.type in answer_types}
    if not named:
        return {}
    rows = {r["id"]: make(r) for r in await connection.fetch(sql, list(named.values()))}
    return {event_id: rows[subject] for event_id, subject in named.items() if subject in rows}
