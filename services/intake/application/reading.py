"""Reading one stored event back, within the caller's scope."""

from __future__ import annotations

from typing import Any

from shared.auth.tokens import Principal
from shared.bus.eventlog import EventLog, LogUnavailable
from shared.bus.projection import ProjectionRunner
from shared.bus.subjects import NATIONAL
from shared.db.pool import UNAVAILABLE as DB_UNAVAILABLE
from shared.events.base import AggregateRef
from shared.events.envelope import StoredEvent
from shared.roles import Role
from services.intake.adapters.aggregates import AggregateStore
from services.intake.adapters.event_index import EventIndex, IndexedEvent
from services.intake.domain.state import Mediator, Report

from .intake import Unavailable

INDEX_WAIT_SECONDS = 2.0
# An institution sees its own cooperations and referrals, but no family details (contract): which
# family or case a mediator's work was for stays with the mediators and coordinators.
WITHHELD_FROM_INSTITUTIONS = ("family_id", "case_id", "person_ids")
# The hashes go too: with the rest of the event in hand, `hash` (or the next event's `prevhash`,
# or the content `fingerprint`) would confirm a guessed family id in a few thousand tries.
# Checking the chain is an auditor's work, not an institution's.
DIGESTS_WITHHELD_FROM_INSTITUTIONS = ("hash", "prevhash", "fingerprint")


def as_seen_by(principal: Principal, event: StoredEvent) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The event's public JSON as the caller may see it, and what was left out of it (`data.<field>`
    and envelope attribute names; empty when nothing was)."""
    body = event.as_json()
    if principal.role is not Role.INSTITUTION:
        return body, ()
    data = [name for name in WITHHELD_FROM_INSTITUTIONS if name in event.data]
    body = {k: v for k, v in body.items() if k not in DIGESTS_WITHHELD_FROM_INSTITUTIONS}
    body["data"] = {k: v for k, v in body["data"].items() if k not in data}
    return body, (*(f"data.{name}" for name in data), *DIGESTS_WITHHELD_FROM_INSTITUTIONS)


class NotVisible(LookupError):
    """No such event, or not one the caller may see (the two are not told apart)."""


class EventReader:
    def __init__(self, index: EventIndex, log: EventLog, store: AggregateStore, indexer: ProjectionRunner) -> None:
        self._index, self._log, self._store, self._indexer = index, log, store, indexer

    async def read(self, principal: Principal, event_id: str) -> StoredEvent:
        try:
            entry = await self._find(event_id)
            if entry is None or not await self._may_see(principal, entry):
                raise NotVisible(event_id)
            event = await self._log.get(entry.sequence)
        except (LogUnavailable, *DB_UNAVAILABLE) as error:
            raise Unavailable(str(error) or type(error).__name__) from error
        if event is None:
            raise NotVisible(event_id)
        return event

    async def _find(self, event_id: str) -> IndexedEvent | None:
        entry = await self._index.find(event_id)
        if entry is None:
            # Just appended? The index follows the log within milliseconds; wait for it, bounded.
            head = await self._log.last_sequence()
            if await self._indexer.wait_for(head, INDEX_WAIT_SECONDS):
                entry = await self._index.find(event_id)
        return entry

    async def _may_see(self, principal: Principal, entry: IndexedEvent) -> bool:
        """As the reporting reads scope (services/reporting/application/scope.py)."""
        if principal.role in (Role.ADMIN, Role.AUDITOR):
            return True
        if principal.role is Role.INSTITUTION:
            return entry.institution_id is not None and entry.institution_id == principal.institution
        if entry.municipality == NATIONAL:
            return await self._may_see_national(principal, entry)
        return entry.municipality in await self._municipalities(principal)

    async def _may_see_national(self, principal: Principal, entry: IndexedEvent) -> bool:
        """Events of no one municipality: municipalities (anyone), a mediator's registration and
        monthly reports (the mediator, and coordinators of a municipality the mediator works in)."""
        if entry.aggregate_type == "municipality":
            return True
        if entry.aggregate_type == "mediator":
            mediator_id = entry.aggregate_id
        elif entry.aggregate_type == "report":
            report = (await self._store.load(AggregateRef("report", entry.aggregate_id))).body
            if not isinstance(report, Report):
                return False
            mediator_id = report.mediator_id
        else:
            return False
        if principal.role is Role.MEDIATOR:
            return mediator_id == principal.subject
        return bool(await self._registered_in(mediator_id) & principal.municipalities)

    async def _municipalities(self, principal: Principal) -> frozenset[str]:
        """A coordinator's municipalities; a mediator's latest registration, narrowed by the token."""
        if principal.role is Role.COORDINATOR:
            return principal.municipalities
        registered = await self._registered_in(principal.subject)
        return registered & principal.municipalities if principal.municipalities else registered

    async def _registered_in(self, mediator_id: str) -> frozenset[str]:
        mediator = (await self._store.load(AggregateRef("mediator", mediator_id))).body
        return mediator.municipalities if isinstance(mediator, Mediator) else frozenset()
