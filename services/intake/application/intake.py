"""The append path: decide on current state, seal, chain, and append conditionally.

This is the one validated way into the log, used by the HTTP API, by batches and by the
notifications service's acknowledgement page.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import structlog

from shared.auth.tokens import Principal
from shared.bus.eventlog import Append, AppendRejected, EventLog, LogUnavailable, NotSent, WrongLastSequence
from shared.bus.group_commit import GroupCommitter
from shared.crypto.keystore import FamilyKeys, KeyDestroyed
from shared.db.pool import UNAVAILABLE as DB_UNAVAILABLE
from shared.events import catalogue
from shared.events.base import AggregateRef, EventData
from shared.events.envelope import PostedEvent, StoredEvent, format_time
from services.intake import metrics
from services.intake.adapters.aggregates import AggregateStore
from services.intake.adapters.event_index import EventIndex, IndexedEvent
from services.intake.adapters.holds import Busy, Holds, HoldTimeout
from services.intake.domain.decide import Accepted, Command, decide, references
from services.intake.domain.rejections import Rejection, forbidden, wrong_state
from services.intake.domain.state import AggregateState, Applied, apply_stored

from .sealing import fingerprint_of, same_apart_from_personal, seal

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 8


class IndexAheadOfLog(RuntimeError):
    """The event index names an event the log does not hold: a fault to look into, never a retry."""


class Unavailable(RuntimeError):
    """A dependency (JetStream, PostgreSQL) did not answer: nothing was acknowledged.

    `maybe_stored` when the event log may have stored the event without confirming it (an append
    sent but not acknowledged); otherwise nothing was stored. `dependency` names what failed.
    """

    def __init__(self, detail: str, *, dependency: str = "the event log", maybe_stored: bool = False) -> None:
        super().__init__(detail)
        self.dependency, self.maybe_stored = dependency, maybe_stored

    @property
    def advice(self) -> str:
        """What a client is told: what failed, whether the event may be stored, what to do."""
        if self.maybe_stored:
            # A timeout may come after JetStream stored the event and before its ack arrived: the
            # outcome is unknown, so the answer says so, and how to learn it (the same id is never
            # stored twice).
            return (f"{self.dependency} did not confirm the write ({self}); it may or may not have been stored: "
                    "send the same event again with the same id (a stored one answers duplicate)")
        return f"{self.dependency} is unavailable ({self}); nothing was stored: send the same event again"

    @classmethod
    def of(cls, error: Exception) -> Unavailable:
        detail = str(error) or type(error).__name__
        if isinstance(error, LogUnavailable):
            return cls(detail, maybe_stored=not isinstance(error, NotSent))
        return cls(detail, dependency="the intake's database")


@dataclass(frozen=True, slots=True)
class Created:
    id: str
    sequence: int
    version: int


@dataclass(frozen=True, slots=True)
class Duplicate:
    id: str
    sequence: int
    version: int


Outcome = Created | Duplicate | Rejection


@dataclass(frozen=True, slots=True)
class Planned:
    """An accepted event ready to append, and the aggregate state it was decided on."""

    posted: PostedEvent
    data: EventData
    target: AggregateState
    stored: StoredEvent
    append: Append


def _now() -> datetime:
    return datetime.now(UTC)


def _reused_id(event_id: str) -> Rejection:
    return wrong_state(f"event id {event_id} was already used for a different event", field="id")


class Intake:
    """Decides on and appends events for one principal at a time."""

    def __init__(self, log_: EventLog, store: AggregateStore, keys: FamilyKeys, index: EventIndex,
                 *, clock: Callable[[], datetime] = _now,
                 halted: Callable[[], Exception | None] = lambda: None) -> None:
        # `halted` says why writes must wait (the event index is ahead of the log: appending to
        # that log would let it grow past the index's position, which then skips those events).
        self._halted = halted
        self._log = log_
        self._commits = GroupCommitter(log_)
        self._store = store
        self._keys = keys
        self._index = index
        self._clock = clock

    def _refuse_if_halted(self) -> None:
        if (why := self._halted()) is not None:
            raise Unavailable(str(why), dependency="the event log")

    async def submit(self, principal: Principal, posted: PostedEvent, data: EventData) -> Outcome:
        """Append one event (or recognise it as already appended)."""
        self._refuse_if_halted()
        started = time.perf_counter()
        ref = data.aggregate()
        holds = self._store.holds()
        try:
            await holds.alone(ref)
            outcome = await self._submit_locked(principal, posted, data, ref, holds)
        except HoldTimeout as error:
            raise Unavailable(f"aggregate {error} is too busy; try again", dependency="the intake") from error
        except (LogUnavailable, *DB_UNAVAILABLE) as error:
            raise self._unavailable(error, [posted]) from error
        finally:
            holds.release()
        self._count(outcome, posted.type)
        metrics.APPEND_SECONDS.observe(time.perf_counter() - started)
        return outcome

    async def _submit_locked(self, principal: Principal, posted: PostedEvent, data: EventData,
                             ref: AggregateRef, holds: Holds) -> Outcome:
        # An aggregate we have not cached is assumed new: most events create one (a cooperation,
        # an activity), and the append is conditional on the aggregate having no events in any
        # municipality, so the log itself confirms the assumption. A refusal based on it is
        # checked against the real state before it is answered.
        target = self._store.cached(ref)
        assumed = target is None
        target = target or AggregateState(ref=ref)
        for _ in range(MAX_ATTEMPTS):
            planned = await self._plan(principal, posted, data, target, {}, holds)
            if not isinstance(planned, Planned):
                if assumed:
                    assumed, target = False, await self._store.reload(ref)
                    continue
                return planned
            try:
                appended = await self._commits.append(planned.append)
            except WrongLastSequence:
                metrics.APPEND_CONFLICTS.inc()
                assumed, target = False, await self._store.reload(ref)
                continue
            if appended.duplicate:
                return await self._resolve_duplicate_ack(principal, posted, data, appended.sequence, ref)
            await self._appended(planned, appended.sequence)
            return Created(posted.id, appended.sequence, planned.stored.version)
        raise Unavailable(f"aggregate {ref.type}/{ref.id} is too busy; try again")

    async def _resolve_duplicate_ack(self, principal: Principal, posted: PostedEvent, data: EventData,
                                     sequence: int, ref: AggregateRef) -> Outcome:
        """JetStream recognised the event id (within its window): same event, or a reused id?"""
        original = await self._log.get(sequence)
        target = await self._store.reload(ref)
        if original is None or original.id not in target.applied:
            return _reused_id(posted.id)
        return await self._duplicate(principal, posted, data, target)

    async def _duplicate(self, principal: Principal, posted: PostedEvent, data: EventData,
                         target: AggregateState) -> Outcome:
        """The id is in the aggregate's history: the same event re-sent, or the id reused?

        The same event has the same author and the same content. Once the family was erased its
        personal part can no longer be compared; everything else still is, against the log.
        """
        applied = target.applied[posted.id]
        if applied.actor != principal.subject:
            return _reused_id(posted.id)
        fingerprint = await fingerprint_of(self._keys, posted, data)
        if fingerprint is None:
            original = await self._log.get(applied.sequence)
            same = original is not None and same_apart_from_personal(original, posted, data)
        else:
            same = fingerprint == applied.fingerprint or await self._same_instant_restated(posted, data, applied)
        if not same:
            return _reused_id(posted.id)
        return Duplicate(posted.id, applied.sequence, applied.version)

    async def _same_instant_restated(self, posted: PostedEvent, data: EventData, applied: Applied) -> bool:
        """The same event with its `time` written another way (08:00Z for 10:00+02:00), as a phone
        that keeps times in UTC re-sends it? The fingerprint has the text as first posted."""
        original = await self._log.get(applied.sequence)
        if original is None or original.time == format_time(posted.time):
            return False
        first = datetime.fromisoformat(original.time)
        if first != posted.time:
            return False
        return await fingerprint_of(self._keys, posted.model_copy(update={"time": first}), data) == applied.fingerprint

    async def _plan(self, principal: Principal, posted: PostedEvent, data: EventData,
                    target: AggregateState, pending: dict[AggregateRef, AggregateState], holds: Holds,
                    indexed: dict[str, IndexedEvent] | None = None) -> Planned | Outcome:
        """Decide on one event against `target` (and `pending` states of this batch).

        What the decision rests on is held shared in `holds` until the request is answered.
        `indexed` holds the batch's ids already looked up in the event index, if any.
        """
        spec = catalogue.spec_for(posted.type)
        if principal.role not in spec.roles:
            return forbidden(f"the {principal.role} role may not post {posted.type}")
        if posted.id in target.applied:
            return await self._duplicate(principal, posted, data, target)
        elsewhere = indexed.get(posted.id) if indexed is not None else await self._index.earlier_use(posted.id)
        if elsewhere is not None:
            if (elsewhere.aggregate_type, elsewhere.aggregate_id) != (target.ref.type, target.ref.id):
                return _reused_id(posted.id)
            # Indexed in this aggregate but not in the cached state: read its history again, once.
            reloaded = await self._store.reload(target.ref)
            if posted.id not in reloaded.applied:
                # The index is filled from the log, so this is not a race: the log lost events or
                # is another log (a data dir started on an empty store). Asking again cannot help.
                log.error("intake.index_ahead_of_log", event_id=posted.id, aggregate_type=target.ref.type,
                          aggregate_id=target.ref.id, indexed_sequence=elsewhere.sequence)
                raise IndexAheadOfLog(f"event {posted.id} is in the event index but not in the log")
            return await self._duplicate(principal, posted, data, reloaded)
        decision = await self._decide(principal, posted, data, target, pending, holds)
        if isinstance(decision, Rejection):
            return decision
        try:
            sealed = await seal(self._keys, posted, data)
        except KeyDestroyed:
            return wrong_state(f"family {getattr(data, 'family_id', '')} was erased", field="data.family_id")
        return self._prepare(principal, posted, data, spec.schema_version, target, decision, sealed.data,
                             sealed.fingerprint)

    async def _decide(self, principal: Principal, posted: PostedEvent, data: EventData, target: AggregateState,
                      pending: dict[AggregateRef, AggregateState], holds: Holds) -> Accepted | Rejection:
        refs = await self._load_references(principal, data, target, pending, holds, fresh=False)
        decision = decide(Command(principal, data, target, refs, posted.expectedversion))
        if isinstance(decision, Rejection) and decision.kind != "version-conflict" and refs:
            # A refusal may rest on a cached reference another intake process has since changed.
            refs = await self._load_references(principal, data, target, pending, holds, fresh=True)
            decision = decide(Command(principal, data, target, refs, posted.expectedversion))
        return decision

    async def _load_references(self, principal: Principal, data: EventData, target: AggregateState,
                               pending: dict[AggregateRef, AggregateState], holds: Holds, *, fresh: bool
                               ) -> dict[AggregateRef, AggregateState]:
        loaded: dict[AggregateRef, AggregateState] = {}
        while True:
            wanted = [r for r in references(data, target, principal, loaded) if r not in loaded]
            if not wanted:
                return loaded
            for ref in wanted:
                await holds.share(ref)  # before reading it: a write to it in flight lands first
                if ref in pending:
                    loaded[ref] = pending[ref]
                else:
                    loaded[ref] = await (self._store.reload(ref) if fresh else self._store.load(ref))

    def _prepare(self, principal: Principal, posted: PostedEvent, data: EventData, schema_version: int,
                 target: AggregateState, accepted: Accepted, stored_data: dict, fingerprint: str) -> Planned:
        ref = target.ref
        subject = target.subject or self._log.subjects.aggregate(accepted.municipality, ref.type, ref.id)
        stored, payload = StoredEvent.chain(
            id=posted.id, source=posted.source, type=posted.type, time=format_time(posted.time),
            subject=f"{ref.type}/{ref.id}", recordedtime=self._clock().isoformat().replace("+00:00", "Z"),
            actor=principal.subject, actorrole=str(principal.role),
            municipalityid=target.municipality or accepted.municipality,
            aggregatetype=ref.type, aggregateid=ref.id, version=target.version + 1,
            schemaversion=schema_version, correlationid=posted.correlationid, fingerprint=fingerprint,
            prevhash=target.last_hash, data=stored_data)
        append = Append(subject=subject, payload=payload, msg_id=posted.id,
                        expected_sequence=target.last_sequence,
                        guard=self._log.subjects.any_municipality(ref.type, ref.id))
        return Planned(posted, data, target, stored, append)

    async def submit_batch(self, principal: Principal,
                           items: Sequence[tuple[PostedEvent, EventData] | Rejection]) -> list[Outcome]:
        """Append many events in order, each decided as if the earlier ones were already stored.

        The accepted events go to the log as one atomic batch (one fsync for all of them). If
        that fails because another writer moved one of the aggregates, or another request holds
        one of them (holds.py), each event is submitted on its own, in order, so one bad or
        conflicting event never blocks the rest.
        """
        self._refuse_if_halted()
        results: list[Outcome | None] = [None] * len(items)
        first_of: dict[str, int] = {}   # event id -> index of its first occurrence in this batch
        repeats: dict[int, int] = {}    # index of a repeated id -> index of the first occurrence
        for index, item in enumerate(items):
            if isinstance(item, Rejection):
                results[index] = item
            elif item[0].id in first_of:
                repeats[index] = first_of[item[0].id]
            else:
                first_of[item[0].id] = index
        firsts = [(index, item) for index, item in enumerate(items)
                  if not isinstance(item, Rejection) and first_of[item[0].id] == index]
        holds = self._store.holds(wait=False)
        try:
            one_by_one = await self._batch_held(principal, firsts, results, holds)
        except (LogUnavailable, *DB_UNAVAILABLE) as error:
            raise self._unavailable(error, [i[0] for i in items if not isinstance(i, Rejection)]) from error
        finally:
            holds.release()
        for index, posted, data in one_by_one:
            try:
                results[index] = await self.submit(principal, posted, data)
            except Unavailable as unavailable:
                results[index] = Rejection(503, "unavailable", "Service unavailable", unavailable.advice)
        for index, first in repeats.items():
            results[index] = await self._repeat(principal, items[index], results[first])
        final = [r for r in results if r is not None]
        counted = {index for index, _, _ in one_by_one}  # submit() counted those
        for index, (item, outcome) in enumerate(zip(items, final)):
            if not isinstance(item, Rejection) and index not in counted:
                self._count(outcome, item[0].type)
        return final

    async def _batch_held(self, principal: Principal, firsts: list[tuple[int, tuple[PostedEvent, EventData]]],
                          results: list[Outcome | None], holds: Holds) -> list[tuple[int, PostedEvent, EventData]]:
        """Plan and append the batch's events under `holds`; what is left to go one by one."""
        planned: list[tuple[int, Planned]] = []
        pending: dict[AggregateRef, AggregateState] = {}
        try:
            for ref in {data.aggregate() for _, (_, data) in firsts}:  # taken at once or not at all: any order
                await holds.alone(ref)
            indexed = await self._index.earlier_uses([posted.id for _, (posted, _) in firsts])
            for index, (posted, data) in firsts:
                ref = data.aggregate()
                target = pending.get(ref) or self._store.cached(ref)
                assumed = target is None  # as in submit(): the atomic append confirms it is new
                outcome = await self._plan(principal, posted, data, target or AggregateState(ref=ref),
                                           pending, holds, indexed)
                if assumed and not isinstance(outcome, Planned):
                    target = await self._store.reload(ref)
                    outcome = await self._plan(principal, posted, data, target, pending, holds, indexed)
                if isinstance(outcome, Planned):
                    planned.append((index, outcome))
                    pending[ref] = apply_stored(outcome.target, outcome.stored, outcome.append.subject, data)
                else:
                    results[index] = outcome
        except Busy as busy:
            log.info("batch.one_by_one", reason=f"{busy} is held by another request", events=len(firsts))
            for index, _ in firsts:
                results[index] = None
            return [(index, posted, data) for index, (posted, data) in firsts]
        if await self._commit_batch(planned, results):
            return []
        return [(index, p.posted, p.data) for index, p in planned]

    async def _commit_batch(self, planned: list[tuple[int, Planned]], results: list[Outcome | None]) -> bool:
        """Append the planned events as one atomic batch; False if they must go one by one."""
        try:
            sequences = await self._log.append_atomic([p.append for _, p in planned])
        except (WrongLastSequence, AppendRejected) as error:
            log.info("batch.fallback_to_single", reason=str(error), events=len(planned))
            return False
        latest: dict[AggregateRef, AggregateState] = {}
        for (index, p), sequence in zip(planned, sequences):
            # The first event of each aggregate was planned on its real state; later ones on a
            # provisional state without sequences, so rebuild from the real one.
            base = latest.get(p.target.ref, p.target)
            latest[p.target.ref] = await self._appended(replace(p, target=base), sequence)
            results[index] = Created(p.posted.id, sequence, p.stored.version)
        return True

    async def _repeat(self, principal: Principal, item: tuple[PostedEvent, EventData] | Rejection,
                      first_outcome: Outcome | None) -> Outcome:
        """The answer to an id that occurs twice in one batch: as a re-send in another request
        would get (the same event, even with its time written another way, is a duplicate)."""
        if isinstance(item, Rejection):
            return item
        if isinstance(first_outcome, Rejection) or first_outcome is None:
            return first_outcome or _reused_id(item[0].id)
        posted, data = item
        target = await self._store.load(data.aggregate())
        if posted.id not in target.applied:
            return _reused_id(posted.id)
        return await self._duplicate(principal, posted, data, target)

    async def _appended(self, planned: Planned, sequence: int) -> AggregateState:
        """Bookkeeping after the log acknowledged an append."""
        state = self._store.record(planned.target, planned.stored.with_sequence(sequence), planned.append.subject,
                                   planned.data)
        log.info("event.appended", event_id=planned.posted.id, sequence=sequence, type=planned.posted.type,
                 aggregate=f"{planned.target.ref.type}/{planned.target.ref.id}",
                 version=planned.stored.version, correlation_id=planned.posted.correlationid)
        if planned.posted.type == "tilts.family.erased":
            try:
                await self._keys.destroy(planned.target.ref.id)
            except DB_UNAVAILABLE:  # the index projection destroys it when PostgreSQL is back
                log.warning("erasure.key_destroy_deferred", family_id=planned.target.ref.id)
        return state

    @staticmethod
    def _unavailable(error: Exception, events: Sequence[PostedEvent]) -> Unavailable:
        """The 503 to answer, counted and logged with the events it concerns."""
        unavailable = Unavailable.of(error)
        metrics.EVENTS_REJECTED.labels("503").inc(len(events))
        log.warning("event.unavailable", event_ids=[e.id for e in events][:20], events=len(events),
                    dependency=unavailable.dependency, maybe_stored=unavailable.maybe_stored,
                    error=type(error).__name__)
        return unavailable

    def _count(self, outcome: Outcome, event_type: str) -> None:
        if isinstance(outcome, Created):
            metrics.EVENTS_APPENDED.labels(event_type).inc()
        elif isinstance(outcome, Duplicate):
            metrics.EVENTS_DUPLICATE.inc()
        else:
            metrics.EVENTS_REJECTED.labels(str(outcome.status)).inc()
